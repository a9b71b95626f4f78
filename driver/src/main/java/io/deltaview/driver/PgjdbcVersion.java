package io.deltaview.driver;

import java.sql.SQLException;

/**
 * The pgjdbc ({@code org.postgresql:postgresql}) on the class path, checked once: the thin driver artifact uses
 * the application's own pgjdbc, whose version the application chooses. Deltaview is built and tested against
 * 42.7; it needs at least {@value #MINIMUM} (the replication API, binary transfer and connection properties it
 * relies on behave as it expects from there on), and runs on a later 42.x. An older one is refused with a clear
 * error at the first connection, rather than failing later in ways that would not name the cause; a newer major
 * version is used with a warning, once.
 */
final class PgjdbcVersion {

  static final String MINIMUM = "42.7.0";
  private static final int[] MIN = {42, 7, 0};
  private static final System.Logger LOG = System.getLogger(PgjdbcVersion.class.getName());
  /** Null when supported, else the error; computed once. */
  private static final String PROBLEM = problem(found());

  private PgjdbcVersion() {
  }

  /** Throws {@code 08001} naming the versions when the class path's pgjdbc is too old. */
  static void check() throws SQLException {
    if (PROBLEM != null) {
      throw new SQLException(PROBLEM, "08001");
    }
  }

  /** {major, minor, patch} of the pgjdbc classes loaded, read at run time (the constants would be inlined). */
  static int[] found() {
    try {
      Class<?> info = Class.forName("org.postgresql.util.DriverInfo", false, PgjdbcVersion.class.getClassLoader());
      return new int[] {info.getField("MAJOR_VERSION").getInt(null), info.getField("MINOR_VERSION").getInt(null),
          info.getField("PATCH_VERSION").getInt(null)};
    } catch (ReflectiveOperationException | LinkageError e) {
      return null; // older than DriverInfo's version fields
    }
  }

  /** Why {@code version} cannot be used, or null if it can (warning once about an untested major version). */
  static String problem(int[] version) {
    if (version == null) {
      return "Deltaview needs pgjdbc (org.postgresql:postgresql) " + MINIMUM + " or later; the one on the class path"
          + " is older (it has no org.postgresql.util.DriverInfo version fields)";
    }
    String text = version[0] + "." + version[1] + "." + version[2];
    for (int i = 0; i < 3; i++) {
      if (version[i] != MIN[i]) {
        if (version[i] < MIN[i]) {
          return "Deltaview needs pgjdbc (org.postgresql:postgresql) " + MINIMUM + " or later; the class path has "
              + text + ": upgrade it (the deltaview-driver-all jar bundles a supported one)";
        }
        break;
      }
    }
    if (version[0] > MIN[0]) {
      LOG.log(System.Logger.Level.WARNING, "Deltaview was tested with pgjdbc 42.x; the class path has " + text);
    }
    return null;
  }
}
