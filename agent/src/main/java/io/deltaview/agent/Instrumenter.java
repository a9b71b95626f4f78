package io.deltaview.agent;

import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.List;

/**
 * Installs the agent's two class file transformers, {@link DriverTransformer} (pgjdbc's {@code Driver#connect})
 * and {@link IncrementalTransformer} ({@code @Incremental} methods), and holds what they share: the packages never
 * instrumented and the check that a pgjdbc class loader sees the agent's {@link ConnectBridge}.
 *
 * <p>Both transformers are plain ASM and cheap (a name comparison or a byte scan per class; ASM runs only for
 * the few classes that need it), so they are registered synchronously in {@code premain}: nothing is built in the
 * background and no class load ever waits. A late attach registers the same transformers, retransformable, and
 * retransforms the matching classes already loaded.
 */
final class Instrumenter {

  static final String DRIVER = DriverTransformer.DRIVER;

  /**
   * Packages (internal names) never instrumented: the JDK, Byte Buddy, Deltaview's own code and common libraries.
   * Besides saving the scan, this keeps the agent from transforming the classes it loads while transforming.
   */
  private static final String[] IGNORED = {"java/", "javax/", "jdk/", "sun/", "com/sun/", "net/bytebuddy/",
      "io/deltaview/agent/", "io/deltaview/shaded/", "io/deltaview/driver/", "io/deltaview/engine/",
      "io/deltaview/rewriter/", "org/springframework/", "org/hibernate/", "org/apache/", "org/eclipse/",
      "org/jboss/", "com/zaxxer/", "org/slf4j/", "ch/qos/", "com/fasterxml/", "com/google/", "kotlin/", "scala/",
      "groovy/", "io/netty/", "io/micrometer/", "reactor/", "org/junit/", "org/glassfish/", "jakarta/"};

  private Instrumenter() {
  }

  /**
   * Registers both transformers. {@code late} (agentmain): also retransforms the pgjdbc Drivers and
   * {@code @Incremental} classes already loaded; connections opened before stay plain.
   */
  static void install(Instrumentation instrumentation, boolean late) {
    // Load what the transformers' filters refer to before registering them: a class resolved by a filter while
    // it filters the loading of that very class would be defined twice (LinkageError), as seen on a late attach.
    loaded(CoreClassLoader.class, AgentLog.class, IncrementalTransformer.class, DriverTransformer.class);
    instrumentation.addTransformer(new DriverTransformer(), true);
    instrumentation.addTransformer(new IncrementalTransformer(), true);
    if (late) {
      long start = System.nanoTime();
      List<Class<?>> loaded = loadedCandidates(instrumentation);
      for (Class<?> c : loaded) {
        try {
          instrumentation.retransformClasses(c);
        } catch (Throwable e) {
          AgentLog.once("retransform " + c.getName(), "cannot instrument the already loaded " + c.getName() + ": "
              + AgentLog.describe(e) + "; it runs unchanged");
        }
      }
      AgentLog.debug("retransformed " + loaded.size() + " loaded classes in "
          + (System.nanoTime() - start) / 1_000_000 + " ms");
    }
  }

  /** Nothing: naming the classes (class literals) in the call is what resolves them. */
  private static void loaded(Class<?>... types) {
  }

  /**
   * On a late attach, the loaded classes to retransform: pgjdbc's Driver in any class loader, and classes whose
   * class file mentions {@code @Incremental}. Only classes outside the bootstrap loader, the core and the ignored
   * packages are considered, and their class files are read as resources from their loader and byte-scanned:
   * no class is loaded, initialised or reflected on, and nothing else is retransformed.
   */
  static List<Class<?>> loadedCandidates(Instrumentation instrumentation) {
    List<Class<?>> candidates = new ArrayList<>();
    for (Class<?> c : instrumentation.getAllLoadedClasses()) {
      ClassLoader loader = c.getClassLoader();
      if (loader == null || loader instanceof CoreClassLoader || c.isArray() || c.isPrimitive() || c.isHidden()) {
        continue;
      }
      String internalName = c.getName().replace('.', '/');
      if (ignored(internalName) || !instrumentation.isModifiableClass(c)) {
        continue;
      }
      if (DRIVER.equals(internalName) || mentionsIncremental(loader, internalName)) {
        candidates.add(c);
      }
    }
    return candidates;
  }

  /** Whether the class file {@code loader} holds for the class mentions {@code @Incremental}; false if unreadable. */
  private static boolean mentionsIncremental(ClassLoader loader, String internalName) {
    try (InputStream in = loader.getResourceAsStream(internalName + ".class")) {
      return in != null && IncrementalTransformer.mentionsIncremental(in.readAllBytes());
    } catch (Exception e) {
      return false;
    }
  }

  /** Whether a class (by internal name, {@code a/b/C}) is in a package the agent never instruments. */
  static boolean ignored(String internalName) {
    for (String prefix : IGNORED) {
      if (internalName.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether pgjdbc's class loader resolves {@link ConnectBridge} to this very class (the code inserted into pgjdbc
   * calls it by name). If it cannot, or finds another copy, pgjdbc stays uninstrumented and one line says so.
   */
  static boolean bridgeVisibleFrom(ClassLoader loader) {
    try {
      if (Class.forName(ConnectBridge.class.getName(), false, loader) == ConnectBridge.class) {
        return true;
      }
      AgentLog.once("bridge " + loader, "pgjdbc's class loader " + loader + " sees another copy of "
          + ConnectBridge.class.getName() + " (is deltaview-agent.jar also on the application's class path?);"
          + " its connections stay plain pgjdbc");
    } catch (ClassNotFoundException | LinkageError e) {
      AgentLog.once("bridge " + loader, "pgjdbc's class loader " + loader + " does not delegate to the system"
          + " class loader, where the agent's classes are; its connections stay plain pgjdbc");
    }
    return false;
  }
}
