package io.deltaview.engine;

/**
 * One row of {@code SHOW INCREMENTAL VIEWS}; {@code lastErrorSqlState} is PostgreSQL's SQLState of the error
 * that failed the view (null unless it failed).
 */
public record ViewStatus(
    String name,
    String status,
    String resultTable,
    long rowCount,
    long lagMs,
    String appliedLsn,
    long hits,
    String definition,
    String lastError,
    String origin,
    String lastErrorSqlState) {
}
