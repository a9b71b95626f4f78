package io.deltaview.spring.boot;

import io.deltaview.driver.DeltaviewDriver;
import io.deltaview.driver.DeltaviewOptions;
import java.sql.SQLException;
import java.util.Map;
import org.springframework.boot.autoconfigure.jdbc.JdbcConnectionDetails;

/**
 * The application's {@link JdbcConnectionDetails} with the URL and driver class Deltaview needs: Spring Boot builds
 * its DataSource (HikariCP or another pool) from these details, whether they come from {@code spring.datasource.*}
 * or from a service connection (Testcontainers, Docker Compose), so changing them here routes every pooled
 * connection through {@link DeltaviewDriver}. Credentials and everything else are the original details'.
 */
final class DeltaviewJdbcConnectionDetails implements JdbcConnectionDetails {

  private static final String POSTGRES_DRIVER = "org.postgresql.Driver";

  private final JdbcConnectionDetails original;
  private final String url;
  private final boolean throughDeltaview;

  private DeltaviewJdbcConnectionDetails(JdbcConnectionDetails original, String url, boolean throughDeltaview) {
    this.original = original;
    this.url = url;
    this.throughDeltaview = throughDeltaview;
  }

  /**
   * {@code details} as the {@code deltaview.*} properties want them, or {@code details} itself when they change
   * nothing:
   * <ul>
   *   <li>{@code deltaview.enabled=true}: a {@code jdbc:postgresql:} URL gets the {@code deltaview:} prefix; any
   *       other URL but a Deltaview one is an error (it cannot go through Deltaview);</li>
   *   <li>unset: only a URL that is already {@code jdbc:deltaview:postgresql:} is Deltaview's;</li>
   *   <li>{@code false}: a {@code jdbc:deltaview:} URL goes back to plain pgjdbc, so the property switches
   *       Deltaview off whatever the URL says.</li>
   * </ul>
   * A Deltaview URL also gets the options that are set, and the driver class {@link DeltaviewDriver}, which Spring
   * Boot cannot infer from a {@code jdbc:deltaview:} URL (it would fail with "Failed to determine a suitable driver
   * class").
   *
   * @throws IllegalStateException the URL cannot go through Deltaview, or an option has a value the driver refuses
   */
  static JdbcConnectionDetails apply(JdbcConnectionDetails details, DeltaviewProperties properties) {
    Boolean enabled = properties.getEnabled();
    String url;
    try {
      url = details.getJdbcUrl();
    } catch (RuntimeException e) {
      if (!Boolean.TRUE.equals(enabled)) {
        return details; // no URL to decide on: Spring Boot reports it, where it needs one
      }
      throw e;
    }
    if (Boolean.FALSE.equals(enabled)) {
      return DeltaviewUrls.isDeltaview(url)
          ? new DeltaviewJdbcConnectionDetails(details, DeltaviewUrls.toPostgres(url), false)
          : details;
    }
    String deltaviewUrl;
    if (DeltaviewUrls.isDeltaview(url)) {
      deltaviewUrl = url;
    } else if (Boolean.TRUE.equals(enabled) && DeltaviewUrls.isPostgres(url)) {
      deltaviewUrl = DeltaviewUrls.toDeltaview(url);
    } else if (Boolean.TRUE.equals(enabled)) {
      throw new IllegalStateException("deltaview.enabled=true, but the DataSource URL " + DeltaviewUrls.redacted(url)
          + " is not a PostgreSQL URL: Deltaview routes connections of " + DeltaviewUrls.POSTGRES_PREFIX
          + " (or " + DeltaviewUrls.DELTAVIEW_PREFIX + ") URLs only. Set spring.datasource.url to one, or remove"
          + " deltaview.enabled");
    } else {
      return details;
    }
    Map<String, String> options = properties.driverOptions();
    check(options);
    return new DeltaviewJdbcConnectionDetails(details, DeltaviewUrls.withOptions(deltaviewUrl, options), true);
  }

  /**
   * Refuses, at start-up and naming the property, what the driver would refuse at the first connection: the
   * driver's own parser decides, so the two can never disagree.
   */
  private static void check(Map<String, String> options) {
    for (Map.Entry<String, String> option : options.entrySet()) {
      try {
        DeltaviewOptions.parse(Map.of(option.getKey(), option.getValue()));
      } catch (SQLException e) {
        throw new IllegalStateException("Invalid Deltaview property (the driver's option " + option.getKey() + "): "
            + e.getMessage(), e);
      }
    }
  }

  /** Whether connections made from these details go through Deltaview (false: switched off by the property). */
  boolean throughDeltaview() {
    return throughDeltaview;
  }

  /** The pgjdbc URL underneath: what connections that must not go through Deltaview (migrations) use. */
  String postgresUrl() {
    return throughDeltaview ? DeltaviewUrls.toPostgres(url) : url;
  }

  @Override
  public String getJdbcUrl() {
    return url;
  }

  @Override
  public String getDriverClassName() {
    return throughDeltaview ? DeltaviewDriver.class.getName() : POSTGRES_DRIVER;
  }

  @Override
  public String getUsername() {
    return original.getUsername();
  }

  @Override
  public String getPassword() {
    return original.getPassword();
  }

  /**
   * The original details' XA data source class ({@code PGXADataSource} for PostgreSQL): an XA pool connects through
   * that class, not through a URL and driver, so its connections do not go through Deltaview.
   */
  @Override
  public String getXaDataSourceClassName() {
    return throughDeltaview ? original.getXaDataSourceClassName()
        : JdbcConnectionDetails.super.getXaDataSourceClassName();
  }

  @Override
  public String toString() {
    return "Deltaview connection details for " + DeltaviewUrls.redacted(url);
  }
}
