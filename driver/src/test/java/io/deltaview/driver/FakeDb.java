package io.deltaview.driver;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.Driver;
import java.sql.DriverPropertyInfo;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.postgresql.PGConnection;
import org.postgresql.jdbc.AutoSave;

/**
 * A stand-in for pgjdbc in unit tests: raw JDBC objects that log every call ("st1.execute(SELECT 1)")
 * and answer with fixed, plausible values. Test-only, so a dynamic proxy is fine here.
 */
public final class FakeDb {

  public final List<String> log = new ArrayList<>();
  public final List<Object> created = new ArrayList<>();
  public final List<Object> closed = new ArrayList<>();
  /** SQL whose execution fails, as PostgreSQL would fail it. */
  public String failOn;
  /** The SQLState of that failure. */
  public String failState = "23505";
  /** What the connection answers to {@link PGConnection#getAutosave()}. */
  public AutoSave autosave = AutoSave.NEVER;
  private final Map<Object, Object> currentResults = new IdentityHashMap<>();
  private int counter;
  private boolean autoCommit = true;

  /** The raw connection; also a {@link PGConnection}, so unwrapping to it can be tested. */
  public Connection connection() {
    return (Connection) proxy("conn", new Class<?>[] {Connection.class, PGConnection.class}, null);
  }

  /** A pgjdbc stand-in that opens {@link #connection()} for {@code jdbc:postgresql:} URLs. */
  public Driver driver(List<String> urls, List<Properties> props) {
    return (Driver) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Driver.class},
        (p, m, a) -> {
          switch (m.getName()) {
            case "connect":
              if (!((String) a[0]).startsWith("jdbc:postgresql:")) {
                return null;
              }
              urls.add((String) a[0]);
              props.add((Properties) a[1]);
              return connection();
            case "acceptsURL":
              return ((String) a[0]).startsWith("jdbc:postgresql:");
            case "getPropertyInfo":
              return new DriverPropertyInfo[] {new DriverPropertyInfo("pgOption", "x")};
            default:
              return defaultValue(m.getReturnType());
          }
        });
  }

  public List<String> calls(String prefix) {
    return log.stream().filter(s -> s.startsWith(prefix)).collect(Collectors.toList());
  }

  private Object proxy(String kind, Class<?>[] ifaces, Object parent) {
    String name = kind + (++counter);
    Object[] self = new Object[1];
    InvocationHandler h = (p, m, a) -> handle(name, self[0], parent, m, a == null ? new Object[0] : a);
    self[0] = Proxy.newProxyInstance(getClass().getClassLoader(), ifaces, h);
    created.add(self[0]);
    return self[0];
  }

  private Object handle(String name, Object self, Object parent, Method m, Object[] a) throws SQLException {
    String method = m.getName();
    switch (method) {
      case "toString":
        return name;
      case "hashCode":
        return System.identityHashCode(self);
      case "equals":
        return self == a[0];
      case "unwrap":
        if (((Class<?>) a[0]).isInstance(self)) {
          return self;
        }
        throw new SQLException("not a wrapper for " + a[0]);
      case "isWrapperFor":
        return ((Class<?>) a[0]).isInstance(self);
      default:
        break;
    }
    log.add(name + "." + method + "(" + Arrays.stream(a).map(FakeDb::show).collect(Collectors.joining(", "))
        + ")");
    if (method.startsWith("execute") && a.length > 0 && a[0].equals(failOn)) {
      throw new SQLException("failed: " + failOn, failState);
    }
    switch (method) {
      case "createStatement":
        return proxy("st", new Class<?>[] {Statement.class}, self);
      case "prepareStatement":
        return proxy("ps", new Class<?>[] {PreparedStatement.class}, self);
      case "prepareCall":
        return proxy("cs", new Class<?>[] {CallableStatement.class}, self);
      case "getMetaData":
        return self instanceof Connection ? proxy("md", new Class<?>[] {DatabaseMetaData.class}, self) : null;
      case "getTables":
      case "getGeneratedKeys":
        return proxy("rs", new Class<?>[] {ResultSet.class}, self);
      case "executeQuery":
        currentResults.put(self, proxy("rs", new Class<?>[] {ResultSet.class}, self));
        return currentResults.get(self);
      case "getResultSet":
        return currentResults.computeIfAbsent(self, s -> proxy("rs", new Class<?>[] {ResultSet.class}, s));
      case "getConnection":
      case "getStatement":
        return parent;
      case "getAutoCommit":
        return autoCommit;
      case "getAutosave":
        return autosave;
      case "setAutoCommit":
        autoCommit = (Boolean) a[0];
        return null;
      case "execute":
        return true;
      case "executeUpdate":
        return 1;
      case "executeLargeUpdate":
        return 1L;
      case "executeBatch":
        return new int[] {1};
      case "executeLargeBatch":
        return new long[] {1};
      case "getUpdateCount":
        return -1;
      case "close":
        closed.add(self);
        return null;
      case "isClosed":
        return closed.contains(self);
      default:
        return defaultValue(m.getReturnType());
    }
  }

  private static String show(Object o) {
    if (o instanceof int[] ints) {
      return Arrays.toString(ints);
    }
    if (o instanceof Object[] objects) {
      return Arrays.toString(objects);
    }
    return String.valueOf(o);
  }

  static Object defaultValue(Class<?> type) {
    if (!type.isPrimitive() || type == void.class) {
      return null;
    }
    if (type == boolean.class) {
      return false;
    }
    if (type == long.class) {
      return 0L;
    }
    if (type == double.class) {
      return 0d;
    }
    if (type == float.class) {
      return 0f;
    }
    if (type == short.class) {
      return (short) 0;
    }
    if (type == byte.class) {
      return (byte) 0;
    }
    if (type == char.class) {
      return '\0';
    }
    return 0;
  }
}
