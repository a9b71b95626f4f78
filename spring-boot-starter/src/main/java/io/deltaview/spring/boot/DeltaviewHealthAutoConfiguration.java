package io.deltaview.spring.boot;

import javax.sql.DataSource;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;

/**
 * The {@code deltaview} health component ({@link DeltaviewHealthIndicator}), with Spring Boot Actuator on the class
 * path and Deltaview on; {@code management.health.deltaview.enabled=false} turns it off.
 */
@AutoConfiguration(after = {DataSourceAutoConfiguration.class, DeltaviewAutoConfiguration.class})
@ConditionalOnClass({HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class})
@ConditionalOnEnabledHealthIndicator("deltaview")
@Conditional(OnDeltaviewCondition.class)
public class DeltaviewHealthAutoConfiguration {

  /** Named so that Spring Boot calls the component {@code deltaview} (it drops the "HealthIndicator" suffix). */
  @Bean
  @ConditionalOnSingleCandidate(DataSource.class)
  @ConditionalOnMissingBean(name = "deltaviewHealthIndicator")
  HealthIndicator deltaviewHealthIndicator(DataSource dataSource) {
    return new DeltaviewHealthIndicator(dataSource);
  }
}
