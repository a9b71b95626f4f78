package io.deltaview.engine;

/** One row of {@code SHOW INCREMENTAL VIEWS}. */
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
    String origin) {
}
