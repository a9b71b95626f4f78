package io.deltaview.driver.route;

import io.deltaview.driver.DeltaviewOptions;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;

/**
 * Supplies each new Deltaview connection its {@link QueryRouter}. Register exactly one implementation in
 * {@code META-INF/services/io.deltaview.driver.route.RouterFactory}; with none, every connection gets a
 * {@link PassThroughRouter}. Not consulted when {@code deltaview.mode=off}.
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
