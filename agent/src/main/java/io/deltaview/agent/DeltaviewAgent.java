package io.deltaview.agent;

import java.io.File;
import java.lang.instrument.Instrumentation;
import java.net.URL;
import java.util.jar.JarFile;

/**
 * The {@code -javaagent} entry ({@code Premain-Class} and {@code Agent-Class}). Reads the options, checks that
 * the jar holds the core, and installs the instrumentation of pgjdbc's {@code Driver#connect} and of
 * {@code @Incremental} methods (two small ASM transformers, registered synchronously: cheap enough that no class
 * load waits for anything); the core itself loads only when the application opens its first connection
 * (loading its classes takes a few milliseconds; what the first connection waits for is Deltaview's runtime, as
 * with the driver). Anything wrong here leaves the application on plain pgjdbc,
 * with one line on standard error saying why.
 */
public final class DeltaviewAgent {

  private static boolean installed;

  private DeltaviewAgent() {
  }

  /** {@code -javaagent:deltaview-agent.jar[=key=value,...]}. */
  public static void premain(String argument, Instrumentation instrumentation) {
    install(argument, instrumentation, false);
  }

  /** Attached to a running JVM: pgjdbc classes already loaded are retransformed. */
  public static void agentmain(String argument, Instrumentation instrumentation) {
    install(argument, instrumentation, true);
  }

  static synchronized void install(String argument, Instrumentation instrumentation, boolean late) {
    long start = System.nanoTime();
    if (installed) {
      AgentLog.once("twice", "the agent is already installed in this JVM; ignoring another -javaagent for it");
      return;
    }
    AgentOptions options;
    try {
      options = AgentOptions.resolve(argument, System.getProperties());
    } catch (IllegalArgumentException e) {
      AgentLog.once("options", e.getMessage() + "; Deltaview is off, connections stay plain pgjdbc");
      return;
    }
    AgentLog.verbose(options.verbose());
    if (options.off()) {
      AgentLog.debug("deltaview.mode=off: nothing instrumented");
      return;
    }
    try {
      URL jarUrl = DeltaviewAgent.class.getProtectionDomain().getCodeSource().getLocation();
      JarFile jar = new JarFile(new File(jarUrl.toURI()));
      String probe = CoreClassLoader.ROOT + "io/deltaview/driver/DeltaviewConnections" + CoreClassLoader.CLASS_SUFFIX;
      if (jar.getJarEntry(probe) == null) {
        jar.close();
        throw new IllegalStateException(jarUrl + " holds no " + probe + ": not a complete deltaview-agent.jar");
      }
      ConnectBridge.configure(new ConnectBridge.Settings(jar, jarUrl, options.connectionOptions()));
      Instrumenter.install(instrumentation, late);
      installed = true;
      AgentLog.debug("installed in " + (System.nanoTime() - start) / 1_000_000 + " ms with options " + options);
    } catch (Throwable e) {
      if (e instanceof VirtualMachineError vm && !(e instanceof StackOverflowError)) {
        throw vm;
      }
      ConnectBridge.configure(null);
      AgentLog.once("install", "could not start: " + AgentLog.describe(e) + "; connections stay plain pgjdbc");
    }
  }
}
