package io.deltaview.engine.compile;

import io.deltaview.sql.SqlStates;
/**
 * The view uses SQL that Deltaview cannot maintain incrementally. The message names the construct in SQL
 * terms ("LEFT JOIN", "function REGEXP_REPLACE"), so that it can be shown to the user as is (SQLSTATE
 * {@value #SQL_STATE}, feature_not_supported). This is a user answer, not an internal error.
 */
public final class UnsupportedConstructException extends RuntimeException {

  /** PostgreSQL's feature_not_supported. */
  public static final String SQL_STATE = SqlStates.FEATURE_NOT_SUPPORTED;

  private final String construct;

  public UnsupportedConstructException(String construct) {
    super("incremental views do not support " + construct);
    this.construct = construct;
  }

  /** The construct in SQL terms, e.g. {@code "window function ROW_NUMBER"}. */
  public String construct() {
    return construct;
  }
}
