/**
 * Deltaview's JDBC wrappers: one explicit delegating class per JDBC interface (the compiler checks every
 * method), all marked {@link io.deltaview.driver.jdbc.DeltaviewWrapper}. Only
 * {@link io.deltaview.driver.jdbc.JdbcWrappers} and the marker are public.
 *
 * <p>Every execute path of every statement calls {@code Routing.route} once, at execution time; that is
 * the only place a {@link io.deltaview.driver.route.QueryRouter} is consulted. Objects handed out point
 * back to wrappers: {@code getConnection()} returns the wrapping connection, {@code getStatement()} the
 * wrapping statement. The plain delegation sections were generated from the JDK's interfaces with
 * {@code driver/tools/gen_delegates.py} and are maintained as ordinary code.
 */
package io.deltaview.driver.jdbc;
