package io.deltaview.driver;

import io.deltaview.sql.SqlStates;
import io.deltaview.driver.jdbc.JdbcWrappers;
import io.deltaview.driver.route.PassThroughRouter;
import io.deltaview.driver.route.QueryRouter;
import io.deltaview.driver.route.RouterFactory;
import io.deltaview.driver.route.SessionState;
import io.deltaview.driver.runtime.DeltaviewRouterFactory;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Properties;

/**
 * Turns a pgjdbc connection into a Deltaview connection. The driver uses it for the connections it opens;
 * the agent uses it for the ones an application opens with a plain {@code jdbc:postgresql:} URL.
 */
public final class DeltaviewConnections {

  /**
   * A pgjdbc property on every connection Deltaview opens itself (the driver's own, the engine's and the
   * runtime's), so that the agent never wraps them: pgjdbc ignores properties it does not know.
   */
  public static final String INTERNAL_PROPERTY = "deltaviewInternal";

  private static final RouterFactory DEFAULT_FACTORY = new DeltaviewRouterFactory();

  private DeltaviewConnections() {
  }

  /** Whether a connection opened with {@code pgProps} is one of Deltaview's own (never to be wrapped). */
  public static boolean isInternal(Properties pgProps) {
    return pgProps != null && pgProps.getProperty(INTERNAL_PROPERTY) != null;
  }

  /** Marks {@code pgProps} (modified in place) as a connection Deltaview opens for itself. */
  static void markInternal(Properties pgProps) {
    pgProps.setProperty(INTERNAL_PROPERTY, "true");
  }

  /**
   * Wraps {@code raw}, a pgjdbc connection an application opened with {@code pgUrl} and {@code pgProps}, with
   * Deltaview options {@code deltaviewOptions} ({@code deltaview.*} keys). On failure {@code raw} is left open
   * and untouched: the caller decides whether to close it or use it as it is.
   *
   * @throws SQLException for invalid options, or when the database's runtime cannot start
   */
  public static Connection wrap(Connection raw, String pgUrl, Properties pgProps,
      Map<String, String> deltaviewOptions) throws SQLException {
    PgjdbcVersion.check();
    Properties props = new Properties();
    if (pgProps != null) {
      props.putAll(pgProps);
    }
    markInternal(props);
    return wrap(raw, pgUrl, props, DeltaviewOptions.parse(deltaviewOptions), DEFAULT_FACTORY);
  }

  /** Opens the router {@code options} ask for and wraps {@code raw} with it; closes the router on failure. */
  static Connection wrap(Connection raw, String pgUrl, Properties pgProps, DeltaviewOptions options,
      RouterFactory factory) throws SQLException {
    if (JdbcWrappers.isWrapped(raw)) {
      return raw;
    }
    QueryRouter router = null;
    try {
      router = openRouter(raw, pgUrl, pgProps, options, factory);
      return JdbcWrappers.wrap(raw, router);
    } catch (SQLException | RuntimeException | Error e) {
      if (router != null) {
        router.connectionClosed(new SessionState());
      }
      throw e;
    }
  }

  private static QueryRouter openRouter(Connection raw, String pgUrl, Properties pgProps, DeltaviewOptions options,
      RouterFactory factory) throws SQLException {
    if (options.mode() == DeltaviewOptions.Mode.OFF) {
      return PassThroughRouter.INSTANCE;
    }
    Properties copy = new Properties();
    copy.putAll(pgProps);
    QueryRouter router = factory.open(pgUrl, copy, options, raw);
    if (router == null) {
      throw new SQLException("Deltaview bug: " + factory.getClass().getName() + " opened no router",
          SqlStates.INTERNAL_ERROR);
    }
    return router;
  }
}
