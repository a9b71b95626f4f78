package io.deltaview.spring.boot;

import javax.sql.DataSource;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.flyway.FlywayConfigurationCustomizer;
import org.springframework.boot.autoconfigure.jdbc.JdbcConnectionDetails;

/**
 * Runs Flyway's migrations on plain pgjdbc connections to the same database, with the same credentials, when
 * Flyway would otherwise borrow the application's Deltaview DataSource.
 *
 * <p>Why: Flyway sets {@code search_path} with {@code set_config} and runs {@code SET ROLE} after each migration.
 * Deltaview stops rewriting a connection for good once it changed how names resolve or whose privileges apply, and
 * a pooled connection goes back to the pool with that mark: the application's queries on it would never be served
 * from views again. Migrations need nothing from Deltaview; {@code deltaview.create_view} is a plain SQL function.
 * A Flyway DataSource the application configured itself ({@code spring.flyway.url}/{@code user},
 * {@code @FlywayDataSource}) is left alone.
 */
final class DeltaviewFlywayCustomizer implements FlywayConfigurationCustomizer {

  private final ObjectProvider<DataSource> dataSource;
  private final ObjectProvider<JdbcConnectionDetails> connectionDetails;

  DeltaviewFlywayCustomizer(ObjectProvider<DataSource> dataSource,
      ObjectProvider<JdbcConnectionDetails> connectionDetails) {
    this.dataSource = dataSource;
    this.connectionDetails = connectionDetails;
  }

  @Override
  public void customize(FluentConfiguration configuration) {
    if (!(connectionDetails.getIfAvailable() instanceof DeltaviewJdbcConnectionDetails details)
        || !details.throughDeltaview()) {
      return;
    }
    DataSource application = dataSource.getIfUnique();
    if (application != null && configuration.getDataSource() == application) {
      configuration.dataSource(details.postgresUrl(), details.getUsername(), details.getPassword());
    }
  }
}
