package io.deltaview.spring.boot;

import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.JdbcConnectionDetails;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Routes the application's DataSource through Deltaview: its {@link JdbcConnectionDetails} get a
 * {@code jdbc:deltaview:postgresql:} URL with the {@code deltaview.*} options and the driver class (see
 * {@link DeltaviewJdbcConnectionDetails}); the application starts once Deltaview has ({@link DeltaviewStartup}); and
 * Flyway migrates on plain connections ({@link DeltaviewFlywayCustomizer}).
 */
@AutoConfiguration(after = DataSourceAutoConfiguration.class)
@ConditionalOnClass({DataSource.class, JdbcConnectionDetails.class})
@EnableConfigurationProperties(DeltaviewProperties.class)
public class DeltaviewAutoConfiguration {

  /**
   * Static, as a post-processor must be (it is created before the other beans). Registered whatever
   * {@code deltaview.enabled} says: {@code false} turns a {@code jdbc:deltaview:} URL back into a plain one.
   */
  @Bean
  static DeltaviewConnectionDetailsPostProcessor deltaviewConnectionDetailsPostProcessor(Environment environment) {
    return new DeltaviewConnectionDetailsPostProcessor(environment);
  }

  @Bean
  @Conditional(OnDeltaviewCondition.class)
  @ConditionalOnSingleCandidate(DataSource.class)
  DeltaviewStartup deltaviewStartup(DataSource dataSource, DeltaviewProperties properties) {
    return new DeltaviewStartup(dataSource, properties);
  }

  /** Only with Flyway on the class path: the customizer's type is Flyway's. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.flywaydb.core.Flyway")
  @Conditional(OnDeltaviewCondition.class)
  static class FlywayConnections {

    @Bean
    DeltaviewFlywayCustomizer deltaviewFlywayCustomizer(ObjectProvider<DataSource> dataSource,
        ObjectProvider<JdbcConnectionDetails> connectionDetails) {
      return new DeltaviewFlywayCustomizer(dataSource, connectionDetails);
    }
  }
}
