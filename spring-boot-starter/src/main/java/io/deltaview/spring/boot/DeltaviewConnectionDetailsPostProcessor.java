package io.deltaview.spring.boot;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.jdbc.JdbcConnectionDetails;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * Replaces the application's {@link JdbcConnectionDetails} with {@link DeltaviewJdbcConnectionDetails} before Spring
 * Boot builds the DataSource from them.
 *
 * <p>Why the connection details and not {@code spring.datasource.url}: they are what Spring Boot 3 builds every
 * auto-configured DataSource from, whether the URL comes from properties (read after every property source is in
 * place, test ones included) or from a service connection that has no property at all. Rewriting the environment
 * early, in an {@code EnvironmentPostProcessor}, would miss both.
 */
final class DeltaviewConnectionDetailsPostProcessor implements BeanPostProcessor {

  private final Environment environment;
  private DeltaviewProperties properties;

  DeltaviewConnectionDetailsPostProcessor(Environment environment) {
    this.environment = environment;
    UnknownDeltaviewProperties.check(environment);
  }

  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) {
    if (bean instanceof JdbcConnectionDetails details && !(bean instanceof DeltaviewJdbcConnectionDetails)) {
      return DeltaviewJdbcConnectionDetails.apply(details, properties());
    }
    return bean;
  }

  /**
   * Bound here rather than injected: a post-processor that depends on a bean makes that bean miss the other
   * post-processors (Spring warns), and these properties are needed before any DataSource exists.
   */
  private synchronized DeltaviewProperties properties() {
    if (properties == null) {
      properties = Binder.get(environment).bindOrCreate(DeltaviewProperties.PREFIX, DeltaviewProperties.class);
    }
    return properties;
  }
}
