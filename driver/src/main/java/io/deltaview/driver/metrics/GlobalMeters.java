package io.deltaview.driver.metrics;

/**
 * Binds {@link DeltaviewMeters} to Micrometer's global registry when Micrometer is on the class path. Kept apart
 * from {@link DeltaviewMeters} so that the driver never loads a Micrometer type when the application has none.
 */
public final class GlobalMeters {

  private static final boolean MICROMETER_PRESENT = present();

  private GlobalMeters() {
  }

  /** Binds once per JVM (see {@link DeltaviewMeters#bindGlobal}); nothing without Micrometer. */
  public static void bindIfPresent() {
    if (MICROMETER_PRESENT) {
      DeltaviewMeters.bindGlobal();
    }
  }

  private static boolean present() {
    try {
      Class.forName("io.micrometer.core.instrument.Metrics", false, GlobalMeters.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }
}
