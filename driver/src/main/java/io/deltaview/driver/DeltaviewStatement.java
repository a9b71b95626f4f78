package io.deltaview.driver;

/**
 * How Deltaview routed a statement's last execution, for applications and tests that want to know whether a
 * query was answered from an incremental view: {@code statement.unwrap(DeltaviewStatement.class)} on any
 * statement of a Deltaview connection.
 */
public interface DeltaviewStatement {

  /**
   * The view (schema-qualified) that answered the last execution, or the views joined by {@code ", "} when one
   * statement read several (a UNION ALL of two served branches); null if PostgreSQL ran the statement as
   * written, or nothing ran yet.
   */
  String servedBy();

  /**
   * Why the last execution, a query, went to PostgreSQL as written (the reason {@code EXPLAIN INCREMENTAL}
   * would give, or a freshness reason such as {@code strong_timeout}); null if a view answered it, or it was
   * not a query Deltaview looks at (a write, DDL, a Deltaview command).
   */
  String passReason();
}
