package io.deltaview.engine;

/**
 * One row of {@code SHOW INCREMENTAL VIEWS}.
 *
 * @param lastErrorSqlState PostgreSQL's SQLState of the error that failed the view; null unless it failed
 * @param walStatus {@code pg_replication_slots.wal_status} of the database's slot; null while there is none
 * @param retainedWalBytes WAL the slot holds back ({@code pg_current_wal_lsn() - restart_lsn}); null while
 *     there is no slot or PostgreSQL has invalidated it
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
    String lastErrorSqlState,
    String walStatus,
    Long retainedWalBytes) {
}
