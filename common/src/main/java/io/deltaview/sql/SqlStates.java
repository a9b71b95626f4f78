package io.deltaview.sql;

/**
 * The SQLStates Deltaview's own errors carry, for every module (errors from PostgreSQL keep theirs). Named after
 * PostgreSQL's condition names, in the manner of pgjdbc's {@code PSQLState}; it lives in the module every other
 * one depends on.
 */
public final class SqlStates {

  /** The SQL or API call is valid but Deltaview does not support it; the message names the construct. */
  public static final String FEATURE_NOT_SUPPORTED = "0A000";
  public static final String SYNTAX_ERROR = "42601";
  public static final String SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION = "42000";
  public static final String UNDEFINED_TABLE = "42P01";
  /**
   * PostgreSQL's {@code permission denied}: the calling role lacks a privilege PostgreSQL would require for the
   * same action; a rewritten query that gets it runs the original instead.
   */
  public static final String INSUFFICIENT_PRIVILEGE = "42501";
  public static final String UNDEFINED_COLUMN = "42703";
  /** An unknown {@code deltaview.*} option, among others. */
  public static final String UNDEFINED_OBJECT = "42704";
  public static final String DUPLICATE_TABLE = "42P07";
  public static final String DUPLICATE_OBJECT = "42710";
  public static final String INVALID_SCHEMA_NAME = "3F000";
  /** A {@code $1} or {@code ?} where no parameter can be, e.g. in a view definition. */
  public static final String UNDEFINED_PARAMETER = "42P02";
  /** A name longer than PostgreSQL's 63 bytes. */
  public static final String NAME_TOO_LONG = "42622";
  /** A base table of a kind Deltaview cannot maintain (a view, a partitioned or inheritance parent, …). */
  public static final String WRONG_OBJECT_TYPE = "42809";
  /** A {@code deltaview.*} option with a value outside its allowed set. */
  public static final String INVALID_PARAMETER_VALUE = "22023";
  public static final String NULL_VALUE_NOT_ALLOWED = "22004";
  /** {@code executeQuery} of something that returns no rows, as pgjdbc reports it. */
  public static final String NO_DATA = "02000";
  /** {@code executeUpdate} of something that returns rows, as pgjdbc reports it. */
  public static final String TOO_MANY_RESULTS = "0100E";
  public static final String OBJECT_NOT_IN_PREREQUISITE_STATE = "55000";
  public static final String QUERY_CANCELED = "57014";
  public static final String DEADLOCK_DETECTED = "40P01";
  public static final String CONNECTION_FAILURE = "08006";
  /**
   * Deltaview's own code (class 55, object not in prerequisite state, with a subclass PostgreSQL does not use):
   * PostgreSQL invalidated the replication slot ({@code max_slot_wal_keep_size}), so the engine dropped and
   * recreated it and rebuilds every view from a fresh snapshot. Deliberately not {@code 55000}, which the driver
   * reads as "another process maintains the views".
   */
  public static final String REPLICATION_SLOT_LOST = "55V01";
  /** The slot retained more WAL than {@code deltaview.maxRetainedWal}: maintenance stopped, the slot dropped. */
  public static final String CONFIGURATION_LIMIT_EXCEEDED = "53400";
  /** The engine's JVM ran out of heap, e.g. loading a view's initial result. */
  public static final String OUT_OF_MEMORY = "53200";
  /** Deltaview itself is wrong (a bug), never the user's SQL. */
  public static final String INTERNAL_ERROR = "XX000";
  /** A column a view reads changed type under it. */
  public static final String DATATYPE_MISMATCH = "42804";

  // Data exceptions (class 22), raised as PostgreSQL would evaluating a view's expressions over a row.
  public static final String DIVISION_BY_ZERO = "22012";
  public static final String NUMERIC_VALUE_OUT_OF_RANGE = "22003";
  public static final String INVALID_TEXT_REPRESENTATION = "22P02";
  public static final String INVALID_DATETIME_FORMAT = "22007";
  public static final String DATETIME_FIELD_OVERFLOW = "22008";
  public static final String SUBSTRING_ERROR = "22011";
  /** {@code 2201F}: e.g. the square root of a negative number, zero raised to a negative power. */
  public static final String INVALID_ARGUMENT_FOR_POWER_FUNCTION = "2201F";
  /** {@code 2201B}: a regular expression PostgreSQL cannot compile. */
  public static final String INVALID_REGULAR_EXPRESSION = "2201B";
  /** {@code 22013}: a window frame offset below zero. */
  public static final String INVALID_PRECEDING_OR_FOLLOWING_SIZE = "22013";
  /** {@code 42P20}: e.g. a RANGE frame with an offset over more than one ORDER BY column. */
  public static final String WINDOWING_ERROR = "42P20";
  /** {@code 42P10}: e.g. SELECT DISTINCT ON expressions that do not match the initial ORDER BY expressions. */
  public static final String INVALID_COLUMN_REFERENCE = "42P10";

  private SqlStates() {
  }
}
