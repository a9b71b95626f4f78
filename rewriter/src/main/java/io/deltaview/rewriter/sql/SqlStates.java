package io.deltaview.rewriter.sql;

/** PostgreSQL SQLState codes the rewriter's own errors carry (same values pgjdbc's {@code PSQLState} uses). */
public final class SqlStates {
  public static final String SYNTAX_ERROR = "42601";
  public static final String UNDEFINED_TABLE = "42P01";
  public static final String UNDEFINED_COLUMN = "42703";
  public static final String SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION = "42000";
  public static final String FEATURE_NOT_SUPPORTED = "0A000";

  private SqlStates() {}
}
