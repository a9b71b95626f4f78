package io.deltaview.spring.boot;

import io.deltaview.driver.metrics.DeltaviewMeters;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.List;

/**
 * Binds Deltaview's meters ({@link DeltaviewMeters}) to the application's registries; Spring Boot binds every
 * {@link MeterBinder} bean. One {@link DeltaviewMeters} per registry, since each follows one registry; closed with
 * the application context, which removes the meters and stops their refresh.
 */
final class DeltaviewMeterBinder implements MeterBinder, AutoCloseable {

  private final List<DeltaviewMeters> bound = new ArrayList<>();

  @Override
  public synchronized void bindTo(MeterRegistry registry) {
    DeltaviewMeters meters = new DeltaviewMeters();
    meters.bindTo(registry);
    bound.add(meters);
  }

  @Override
  public synchronized void close() {
    bound.forEach(DeltaviewMeters::close);
    bound.clear();
  }
}
