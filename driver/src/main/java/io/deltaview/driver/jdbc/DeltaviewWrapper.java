package io.deltaview.driver.jdbc;

/**
 * Marks every JDBC object Deltaview hands out, so that nothing (driver, agent, pool integration) wraps a
 * Deltaview object a second time.
 */
public interface DeltaviewWrapper {
}
