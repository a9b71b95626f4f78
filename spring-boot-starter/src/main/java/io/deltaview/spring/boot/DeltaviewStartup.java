package io.deltaview.spring.boot;

import io.deltaview.driver.DeltaviewOptions;
import io.deltaview.driver.jdbc.DeltaviewWrapper;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.springframework.beans.factory.InitializingBean;

/**
 * Waits, while the application starts, until Deltaview has started for the DataSource's database, and checks that
 * the DataSource's connections do go through Deltaview.
 *
 * <p>The driver starts its runtime (and, with {@code deltaview.engine=embedded}, the engine, which installs the
 * {@code deltaview} schema and its {@code create_view} function) in the background on the first connection, and
 * lets queries pass through until then. {@code SHOW INCREMENTAL VIEWS} waits for that start. Registered as a
 * database initializer that runs first ({@link DeltaviewStartupDetector}), this makes Flyway and Liquibase
 * migrations, SQL init scripts and JPA wait too, so a migration that calls {@code deltaview.create_view} finds the
 * function, and the application's first queries can already be served from views.
 *
 * <p>If Deltaview cannot start (e.g. the role may not replicate), the application still starts — its queries pass
 * through to PostgreSQL, as the driver intends — and this logs why; the health indicator reports it too.
 */
final class DeltaviewStartup implements InitializingBean {

  private static final System.Logger LOG = System.getLogger(DeltaviewStartup.class.getName());

  private final DataSource dataSource;
  private final DeltaviewProperties properties;

  DeltaviewStartup(DataSource dataSource, DeltaviewProperties properties) {
    this.dataSource = dataSource;
    this.properties = properties;
  }

  /**
   * @throws IllegalStateException the DataSource's connections do not go through Deltaview although the
   *     properties say they should (a DataSource the application builds itself, with a plain URL)
   */
  @Override
  public void afterPropertiesSet() {
    if (properties.getMode() == DeltaviewOptions.Mode.OFF) {
      LOG.log(System.Logger.Level.INFO, "deltaview.mode=off: the driver passes every statement to PostgreSQL");
      return;
    }
    String notThroughDeltaview = null;
    try (Connection c = dataSource.getConnection()) {
      if (!c.isWrapperFor(DeltaviewWrapper.class)) {
        notThroughDeltaview = DeltaviewUrls.redacted(c.getMetaData().getURL());
      } else {
        int views = 0;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW INCREMENTAL VIEWS")) {
          while (rs.next()) {
            views++;
          }
        }
        int count = views;
        LOG.log(System.Logger.Level.INFO, () -> "Deltaview has started for the DataSource; incremental views: "
            + count);
      }
    } catch (SQLException | RuntimeException e) {
      // RuntimeException: a pool that cannot connect (HikariCP's PoolInitializationException). The application
      // starts as it would without the starter; what needs the database fails on its own.
      LOG.log(System.Logger.Level.WARNING, "Deltaview could not start for the DataSource (queries pass through to"
          + " PostgreSQL until it does): " + e.getMessage()
          + (e instanceof SQLException sql ? " [SQLState " + sql.getSQLState() + "]" : ""));
      return;
    }
    if (notThroughDeltaview != null) {
      throw new IllegalStateException("Deltaview is enabled, but the DataSource's connections do not go through"
          + " it (" + notThroughDeltaview + "). The starter routes the DataSource Spring Boot builds from"
          + " spring.datasource.* or a service connection; a DataSource the application builds itself needs a "
          + DeltaviewUrls.DELTAVIEW_PREFIX + " URL (or io.deltaview.driver.DeltaviewDataSource)");
    }
  }
}
