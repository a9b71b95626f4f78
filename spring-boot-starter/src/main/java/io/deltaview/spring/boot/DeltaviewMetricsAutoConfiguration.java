package io.deltaview.spring.boot;

import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;

/**
 * Deltaview's meters in the application's Micrometer registry, hence in {@code /actuator/metrics} and
 * {@code /actuator/prometheus}.
 *
 * <p>The decision: a {@link MeterBinder} bean, which Spring Boot binds to the registry it builds, and the driver's
 * own binding to Micrometer's global registry switched off ({@code -Ddeltaview.metrics=off}). The global binding
 * reaches the application's registry only while {@code management.metrics.use-global-registry} is true (the
 * default), and, being one per JVM, outlives the application context and never sees a second context's registry.
 * Both bindings at once would register the same meters twice in the application's registry, directly and through
 * the global one, each binder removing meters the other still reports. So the bean binds, and the global binding is
 * off before the first Deltaview connection can make it: the switch is set by a bean factory post-processor, which
 * runs before any bean (the DataSource included) is created. A {@code deltaview.metrics} system property the
 * application set itself is left as it is.
 */
@AutoConfiguration(after = {MetricsAutoConfiguration.class, DeltaviewAutoConfiguration.class})
@ConditionalOnClass({MeterBinder.class, MetricsAutoConfiguration.class})
@Conditional(OnDeltaviewCondition.class)
public class DeltaviewMetricsAutoConfiguration {

  /** The system property the driver reads before it binds its meters to Micrometer's global registry. */
  static final String GLOBAL_METERS_PROPERTY = "deltaview.metrics";

  @Bean
  static BeanFactoryPostProcessor deltaviewGlobalMetersOff() {
    return beanFactory -> {
      if (System.getProperty(GLOBAL_METERS_PROPERTY) == null) {
        System.setProperty(GLOBAL_METERS_PROPERTY, "off");
      }
    };
  }

  @Bean
  DeltaviewMeterBinder deltaviewMeterBinder() {
    return new DeltaviewMeterBinder();
  }
}
