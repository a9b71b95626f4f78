package io.deltaview.agent;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.jar.JarFile;

/**
 * Deltaview's core as seen from one pgjdbc class loader: loaded on first use into its own
 * {@link CoreClassLoader}, then asked to wrap that pgjdbc's connections through
 * {@code io.deltaview.driver.DeltaviewConnections.wrap}. Every failure here ends in the raw connection and one
 * log line: the core that cannot load, or options it rejects, turn this core off; a database whose runtime
 * cannot start is remembered, and its later connections stay plain without trying again.
 */
final class Core {

  private static final MethodType WRAP = MethodType.methodType(Connection.class, Connection.class, String.class,
      Properties.class, Map.class);

  private final JarFile jar;
  private final URL jarUrl;
  private final ClassLoader pgjdbcLoader;
  private final Map<String, String> options;
  /** Databases (URL and user) whose runtime failed to start: their connections stay plain. */
  private final Set<String> failedDatabases = ConcurrentHashMap.newKeySet();
  private volatile MethodHandle wrap;
  private volatile boolean off;

  Core(JarFile jar, URL jarUrl, ClassLoader pgjdbcLoader, Map<String, String> options) {
    this.jar = jar;
    this.jarUrl = jarUrl;
    this.pgjdbcLoader = pgjdbcLoader;
    this.options = options;
  }

  /** {@code raw} wrapped by Deltaview, or {@code raw} itself when the core cannot or must not wrap it. */
  Connection wrap(Connection raw, String url, Properties info) {
    if (off) {
      return raw;
    }
    String user = info == null ? null : info.getProperty("user");
    String database = url + " " + user;
    if (failedDatabases.contains(database)) {
      return raw;
    }
    MethodHandle handle = load();
    if (handle == null) {
      return raw;
    }
    try {
      return (Connection) handle.invokeExact(raw, url, info, options);
    } catch (Throwable e) {
      if (e instanceof VirtualMachineError vm && !(e instanceof StackOverflowError)) {
        throw vm;
      }
      failedDatabases.add(database);
      // URL parameters are left out of the line: they may hold a password
      int query = url == null ? -1 : url.indexOf('?');
      String shown = (query < 0 ? url : url.substring(0, query)) + (user == null ? "" : " (user " + user + ")");
      AgentLog.once("wrap " + database, "Deltaview could not start for " + shown + ": " + AgentLog.describe(e)
          + "; connections to it stay plain pgjdbc");
      return raw;
    }
  }

  private MethodHandle load() {
    MethodHandle h = wrap;
    if (h != null || off) {
      return h;
    }
    synchronized (this) {
      if (wrap != null || off) {
        return wrap;
      }
      long start = System.nanoTime();
      try {
        ClassLoader loader = new CoreClassLoader(jar, jarUrl, pgjdbcLoader);
        Class<?> connections = Class.forName("io.deltaview.driver.DeltaviewConnections", true, loader);
        Class<?> optionsType = Class.forName("io.deltaview.driver.DeltaviewOptions", true, loader);
        try {
          optionsType.getMethod("parse", Map.class).invoke(null, options);
        } catch (InvocationTargetException e) {
          if (e.getCause() instanceof SQLException bad) {
            off = true;
            AgentLog.once("options", "invalid option: " + bad.getMessage()
                + "; Deltaview is off, connections stay plain pgjdbc");
            return null;
          }
          throw e;
        }
        wrap = MethodHandles.publicLookup().findStatic(connections, "wrap", WRAP);
        AgentLog.debug("core loaded for " + pgjdbcLoader + " in " + (System.nanoTime() - start) / 1_000_000 + " ms");
        return wrap;
      } catch (Throwable e) {
        if (e instanceof VirtualMachineError vm && !(e instanceof StackOverflowError)) {
          throw vm;
        }
        off = true;
        AgentLog.once("core", "cannot load Deltaview's core for pgjdbc's class loader " + pgjdbcLoader + ": "
            + AgentLog.describe(e) + "; connections stay plain pgjdbc");
        return null;
      }
    }
  }
}
