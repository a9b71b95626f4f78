package io.deltaview.agent;

import io.deltaview.Consistency;
import io.deltaview.Deltaview;
import io.deltaview.Incremental;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * Classes the transformer tests instrument, define in throwaway class loaders and call. Public and free of private
 * cross-class access, since the instrumented copy lives in another class loader than its nest host.
 */
final class TransformerFixtures {

  private TransformerFixtures() {
  }

  /** Class-level STRONG, with methods that override it, inherit it, or are not eligible, of every return kind. */
  @Incremental(consistency = Consistency.STRONG)
  public static class Annotated implements Callable<Consistency> {
    public static int counter;
    private final String name;

    public Annotated() {
      name = "constructor ran outside a scope: " + Deltaview.currentOptIn();
    }

    public String name() {
      return name;
    }

    public static Consistency inherited() {
      return Deltaview.currentOptIn();
    }

    @Incremental(consistency = Consistency.EVENTUAL)
    public static Consistency overridden() {
      return Deltaview.currentOptIn();
    }

    @Incremental
    public static Consistency byDefault() {
      return Deltaview.currentOptIn();
    }

    public static Consistency throwing() {
      throw new IllegalStateException("inside " + Deltaview.currentOptIn());
    }

    @Override
    public Consistency call() {
      return Deltaview.currentOptIn();
    }

    /** Instance method with wide arguments: the scope's slot sits above them. */
    public String instance(long a, double b, int c, Object d) {
      long local = a * 2;
      double other = b + c;
      return Deltaview.currentOptIn() + " " + local + " " + other + " " + d + " " + name.isEmpty();
    }

    public static long wideLong(long x, int y) {
      return x * 1000 + y + Deltaview.currentOptIn().ordinal();
    }

    public static double wideDouble(double x) {
      return x + Deltaview.currentOptIn().ordinal();
    }

    public static float narrowFloat(float x) {
      return x + Deltaview.currentOptIn().ordinal();
    }

    public static boolean bool() {
      return Deltaview.currentOptIn() == Consistency.STRONG;
    }

    public static int[] array(int n) {
      int[] out = new int[n];
      out[0] = Deltaview.currentOptIn().ordinal();
      return out;
    }

    public static void voidMethod(List<Object> out) {
      out.add(Deltaview.currentOptIn());
      if (out.size() > 100) {
        return; // an early return too
      }
      out.add("end");
    }

    /** try/catch inside the body, returns from both, a loop. */
    public static String tryCatchInside(boolean fail) {
      int steps = 0;
      for (int i = 0; i < 3; i++) {
        steps += i;
      }
      try {
        if (fail) {
          throw new IllegalArgumentException("planned");
        }
        return "try " + steps + " " + Deltaview.currentOptIn();
      } catch (IllegalArgumentException e) {
        return "catch " + e.getMessage() + " " + Deltaview.currentOptIn();
      } finally {
        counter++;
      }
    }

    /** The first instruction is a loop head (a frame at offset 0). */
    public static int loopFirst(int n) {
      while (n > 10) {
        n -= 3;
      }
      return n * 10 + Deltaview.currentOptIn().ordinal();
    }

    /** Nested scopes: the inner method's EVENTUAL ends with it, STRONG is back afterwards. */
    public static String nested() {
      Consistency before = Deltaview.currentOptIn();
      Consistency inner = overridden();
      return before + "/" + inner + "/" + Deltaview.currentOptIn();
    }

    /** Throws from {@code depth} frames down, through instrumented recursion. */
    public static int deep(int depth) {
      if (depth == 0) {
        throw new UnsupportedOperationException("bottom " + Deltaview.currentOptIn());
      }
      return deep(depth - 1) + 1;
    }

    /** Catches what a nested instrumented call threw: its own scope must still be open. */
    public static String catchesNested() {
      try {
        deep(3);
        return "not thrown";
      } catch (UnsupportedOperationException e) {
        return e.getMessage() + " then " + Deltaview.currentOptIn();
      }
    }

    public static synchronized Consistency synchronizedMethod() {
      return Deltaview.currentOptIn();
    }
  }

  /** Only one method is marked. */
  public static class OneMethod {
    @Incremental
    public static Consistency marked() {
      return Deltaview.currentOptIn();
    }

    public static Consistency unmarked() {
      return Deltaview.currentOptIn();
    }
  }

  /** An interface with a default and a static method under a class-level annotation; the abstract one is skipped. */
  @Incremental(consistency = Consistency.EVENTUAL)
  public interface WithDefaults {
    Consistency plain();

    default Consistency byDefault() {
      return Deltaview.currentOptIn();
    }

    static Consistency statically() {
      return Deltaview.currentOptIn();
    }
  }

  /** Never touches the api itself: run in a loader that cannot see it, the scope cannot open. */
  @Incremental
  public static class WithoutApi {
    public static String returnInsideTry() {
      try {
        return "try";
      } catch (Throwable t) {
        return "caught " + t;
      }
    }

    public static long wide(long x) {
      return x + 1;
    }

    public static void throwing() {
      throw new IllegalStateException("own exception");
    }
  }

  /**
   * Compiled for an old class file version by the tests (no frames): no string concatenation (invokedynamic), no
   * lambdas.
   */
  @Incremental(consistency = Consistency.STRONG)
  public static class OldStyle {
    public static Object value() {
      return Deltaview.currentOptIn();
    }

    public static long wide(long x, double y) {
      long sum = x;
      for (int i = 0; i < 3; i++) {
        sum += i;
      }
      if (Deltaview.currentOptIn() == null) {
        return -1;
      }
      return sum + (long) y;
    }

    public static Object throwing() {
      throw new IllegalStateException(String.valueOf(Deltaview.currentOptIn()));
    }
  }

  /** The shape of pgjdbc's Driver#connect: several returns, one of them null, and a throw. */
  public static class FakeDriver {
    public static int calls;

    public Connection connect(String url, Properties info) throws SQLException {
      calls++;
      if (url == null) {
        throw new SQLException("no url");
      }
      if (!url.startsWith("jdbc:postgresql:")) {
        return null;
      }
      Connection c = (Connection) java.lang.reflect.Proxy.newProxyInstance(FakeDriver.class.getClassLoader(),
          new Class<?>[] {Connection.class}, (proxy, method, args) -> method.getName().equals("toString")
              ? "fake " + url + " " + (info == null ? null : info.getProperty("user")) : null);
      return c;
    }

    public Connection connect(String url) {
      return null; // not the instrumented signature
    }
  }
}
