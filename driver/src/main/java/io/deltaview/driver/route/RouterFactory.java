package io.deltaview.driver.route;

import io.deltaview.driver.DeltaviewOptions;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;

/**
 * Supplies each new Deltaview connection its {@link QueryRouter}: the driver uses
 * {@code io.deltaview.driver.runtime.DeltaviewRouterFactory}; tests give it stand-ins. Not consulted when
 * {@code deltaview.mode=off} (every connection then gets a {@link PassThroughRouter}).
 *
 * <p>What the driver guarantees a router: {@link QueryRouter#route} is called once per execution, at
 * execution time, with the application's SQL (for a {@code PreparedStatement}, the SQL it was prepared
 * with; routed SQL must take the same parameters in the same order); writes of the open transaction are
 * in the {@link SessionState} before they run; a {@link Route.Command}'s result set is closed by the
 * driver together with the statement that produced it; {@link QueryRouter#connectionClosed} is called
 * once. Batches are routed but always run the original SQL, and commands in batches are refused.
 */
public interface RouterFactory {

  /**
   * Opens the router of one connection.
   *
   * @param pgUrl the {@code jdbc:postgresql:} URL the connection was opened with, {@code deltaview.*}
   *     parameters removed
   * @param pgProps the properties given to pgjdbc (no {@code deltaview.*} keys); a private copy
   * @param options this connection's Deltaview options
   * @param raw the pgjdbc connection; the router may use it for commands but must not close it
   */
  QueryRouter open(String pgUrl, Properties pgProps, DeltaviewOptions options, Connection raw)
      throws SQLException;
}
