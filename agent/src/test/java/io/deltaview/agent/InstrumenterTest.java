package io.deltaview.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.Consistency;
import io.deltaview.Deltaview;
import io.deltaview.Incremental;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.concurrent.Callable;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.loading.ClassLoadingStrategy;
import net.bytebuddy.pool.TypePool;
import org.junit.jupiter.api.Test;

/**
 * The {@code @Incremental} transformation without an agent: the class is redefined with
 * {@link Instrumenter#incremental} and loaded into a fresh class loader, then its methods are called.
 */
class InstrumenterTest {

  /** Class-level STRONG, with methods that override it, inherit it, or are not eligible. */
  @Incremental(consistency = Consistency.STRONG)
  public static class Annotated implements Callable<Consistency> {
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

  private static Class<?> instrumented(Class<?> type) {
    ClassFileLocator locator = ClassFileLocator.ForClassLoader.of(type.getClassLoader());
    TypeDescription description = TypePool.Default.of(locator).describe(type.getName()).resolve();
    return Instrumenter.incremental(new ByteBuddy().redefine(description, locator), description)
        .make()
        .load(new ClassLoader(type.getClassLoader()) { }, ClassLoadingStrategy.Default.CHILD_FIRST)
        .getLoaded();
  }

  private static Object call(Class<?> type, String method) throws Exception {
    Method m = type.getMethod(method);
    try {
      return m.invoke(null);
    } catch (InvocationTargetException e) {
      throw (Exception) e.getCause();
    }
  }

  @Test
  void scopesFollowTheMethodOrClassAnnotation() throws Exception {
    Class<?> type = instrumented(Annotated.class);
    assertEquals(Consistency.STRONG, call(type, "inherited"));
    assertEquals(Consistency.EVENTUAL, call(type, "overridden"));
    assertEquals(Consistency.DEFAULT, call(type, "byDefault"));
    @SuppressWarnings("unchecked")
    Callable<Consistency> instance = (Callable<Consistency>) type.getConstructor().newInstance();
    assertEquals(Consistency.STRONG, instance.call());
    assertNull(Deltaview.currentOptIn(), "every scope closed on return");
  }

  @Test
  void anExceptionClosesTheScope() throws Exception {
    Class<?> type = instrumented(Annotated.class);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> call(type, "throwing"));
    assertEquals("inside STRONG", e.getMessage());
    assertNull(Deltaview.currentOptIn());
  }

  @Test
  void unmarkedMethodsOfAnUnmarkedClassStayUnmarked() throws Exception {
    Class<?> type = instrumented(OneMethod.class);
    assertEquals(Consistency.DEFAULT, call(type, "marked"));
    assertNull(call(type, "unmarked"));
  }

  @Test
  void theByteScanFindsTheAnnotationOnlyWhereItIs() throws Exception {
    assertTrue(Gate.relevant("x/Y", classFile(OneMethod.class)));
    assertTrue(Gate.relevant("x/Y", classFile(Annotated.class)));
    assertFalse(Gate.relevant("x/Y", classFile(InstrumenterTest.class)));
    assertTrue(Gate.relevant("org/postgresql/Driver", new byte[0]));
    // the agent's own classes must never be held at the gate (its builder thread loads them)
    for (Class<?> own : new Class<?>[] {Gate.class, Instrumenter.class, IncrementalAdvice.class, DeltaviewAgent.class,
        ConnectBridge.class, Core.class, CoreClassLoader.class, AgentOptions.class, AgentLog.class}) {
      assertFalse(Gate.relevant(own.getName().replace('.', '/'), classFile(own)), own.getName());
    }
    assertFalse(Gate.contains(new byte[] {1, 2}, new byte[] {1, 2, 3}));
    assertTrue(Gate.contains(new byte[] {0, 1, 2, 3}, new byte[] {2, 3}));
  }

  private static byte[] classFile(Class<?> type) throws Exception {
    try (InputStream in = type.getResourceAsStream(type.getSimpleName().replace('.', '$') + ".class")) {
      return in != null ? in.readAllBytes()
          : type.getResourceAsStream("/" + type.getName().replace('.', '/') + ".class").readAllBytes();
    }
  }
}
