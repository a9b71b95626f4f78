package io.deltaview.spring.boot;

import java.util.Set;
import org.springframework.boot.sql.init.dependency.AbstractBeansOfTypeDatabaseInitializerDetector;
import org.springframework.core.Ordered;

/**
 * Makes {@link DeltaviewStartup} the first database initializer: Spring Boot then makes the other initializers
 * (Flyway, Liquibase, SQL scripts) depend on it, and everything that depends on database initialization (JPA, JDBC
 * templates) on all of them.
 */
final class DeltaviewStartupDetector extends AbstractBeansOfTypeDatabaseInitializerDetector {

  @Override
  protected Set<Class<?>> getDatabaseInitializerBeanTypes() {
    return Set.of(DeltaviewStartup.class);
  }

  /** Before Flyway's (0 and 1) and every other detector Spring Boot has. */
  @Override
  public int getOrder() {
    return Ordered.HIGHEST_PRECEDENCE;
  }
}
