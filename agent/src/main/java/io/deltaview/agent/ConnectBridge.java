package io.deltaview.agent;

import java.net.URL;
import java.sql.Connection;
import java.util.Map;
import java.util.Properties;
import java.util.jar.JarFile;

/**
 * The agent's entry from instrumented pgjdbc: {@code org.postgresql.Driver#connect} hands each connection it
 * opened to {@link #connected} and returns what comes back (see {@link DriverTransformer}). Lives at the agent
 * jar's top level (system class loader), which every application class loader that loads pgjdbc reaches; the
 * heavy core is loaded separately for each pgjdbc class loader (see {@link Core}). Never throws: anything wrong
 * ends in the raw connection.
 */
public final class ConnectBridge {

  /** The pgjdbc property Deltaview puts on the connections it opens itself (DeltaviewConnections.INTERNAL_PROPERTY). */
  static final String INTERNAL_PROPERTY = "deltaviewInternal";

  private static volatile Settings settings;

  /** One core per pgjdbc Driver class, so per class loader; it goes away with that loader. */
  private static final ClassValue<Core> CORES = new ClassValue<>() {
    @Override
    protected Core computeValue(Class<?> driverType) {
      Settings s = settings;
      return new Core(s.jar, s.jarUrl, driverType.getClassLoader(), s.options);
    }
  };

  private ConnectBridge() {
  }

  /** What the agent found at start: the agent jar (holding the core) and the connection options. */
  record Settings(JarFile jar, URL jarUrl, Map<String, String> options) {
  }

  static void configure(Settings s) {
    settings = s;
  }

  /**
   * Called before each return of {@code org.postgresql.Driver#connect(String, Properties)} with its result and
   * arguments, and the Driver class of that pgjdbc: returns the connection the application gets. Connections
   * Deltaview opened itself (marked with {@value #INTERNAL_PROPERTY}) and null results pass unchanged.
   *
   * <p>Never throws, whatever happens inside (even an {@code OutOfMemoryError}): pgjdbc has already opened the
   * connection, and throwing here would lose it without closing it; the raw connection is the safe answer.
   */
  public static Connection connected(Connection connection, Class<?> driverType, String url, Properties info) {
    try {
      if (connection == null || settings == null || driverType.getClassLoader() == null
          || info != null && info.getProperty(INTERNAL_PROPERTY) != null) {
        return connection;
      }
      return CORES.get(driverType).wrap(connection, url, info);
    } catch (Throwable e) {
      try {
        AgentLog.once("bridge", "wrapping a connection failed: " + AgentLog.describe(e)
            + "; this connection stays plain pgjdbc");
      } catch (Throwable ignored) {
        // reporting failed too (out of memory): the raw connection still goes back to the application
      }
      return connection;
    }
  }
}
