package io.deltaview.it.agent;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.zaxxer.hikari.HikariDataSource;
import io.deltaview.Deltaview;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@link AgentApp} (or {@link IsolatedLoaderApp}) in a child JVM with {@code -javaagent:agent/target/deltaview-agent.jar} and a class path of
 * only what an application has (pgjdbc, HikariCP and slf4j-api, deltaview-api, a directory with AgentApp's
 * classes), then collects its {@code RESULT} lines and its {@code deltaview-agent:} lines.
 */
final class AgentChild {

  static final long TIMEOUT_SECONDS = 240;
  /** As the agent argument: no -javaagent; the application attaches the agent to itself (-Dagent.jar). */
  static final String LATE = "<late attach>";

  final List<String> command;
  final int exitCode;
  final String output;
  final Map<String, String> results = new LinkedHashMap<>();
  final List<String> agentLines = new ArrayList<>();

  private AgentChild(List<String> command, int exitCode, String output) {
    this.command = command;
    this.exitCode = exitCode;
    this.output = output;
    for (String line : output.split("\\R")) {
      if (line.startsWith("RESULT ")) {
        int space = line.indexOf(' ', "RESULT ".length());
        results.put(line.substring("RESULT ".length(), space), line.substring(space + 1));
      } else if (line.startsWith("deltaview-agent:")) {
        agentLines.add(line);
      }
    }
  }

  /** The agent jar the build produced; a missing jar is a failure that says how to build it. */
  static Path agentJar() {
    String basedir = System.getProperty("basedir", System.getProperty("user.dir"));
    Path jar = Path.of(basedir).resolve("../agent/target/deltaview-agent.jar").normalize();
    if (!Files.isRegularFile(jar)) {
      fail("agent jar not found at " + jar + " — build it with `mvn -B -DskipTests install` (or run `mvn verify`"
          + " from the root so the agent module is packaged first)");
    }
    return jar;
  }

  static Path driverAllJar() {
    String basedir = System.getProperty("basedir", System.getProperty("user.dir"));
    Path jar = Path.of(basedir).resolve("../driver/target/deltaview-driver-all.jar").normalize();
    if (!Files.isRegularFile(jar)) {
      fail("driver jar not found at " + jar + " — build it with `mvn -B -DskipTests install`");
    }
    return jar;
  }

  /**
   * Runs a scenario; {@code agentArgument} null for none, {@code jvmArgs} e.g. {@code -Ddeltaview.mode=opt-in},
   * {@code extraClassPath} entries go first.
   */
  static AgentChild run(Path work, String agentArgument, List<String> jvmArgs, List<Path> extraClassPath,
      String scenario, String url, String user, String password) throws Exception {
    List<String> classPath = new ArrayList<>();
    for (Path p : extraClassPath) {
      classPath.add(p.toString());
    }
    classPath.add(location(org.postgresql.Driver.class));
    classPath.add(location(HikariDataSource.class));
    classPath.add(location(org.slf4j.LoggerFactory.class));
    classPath.add(location(Deltaview.class));
    classPath.add(copyClasses(AgentApp.class, work).toString());
    for (String entry : classPath.subList(extraClassPath.size(), classPath.size())) {
      assertTrue(!entry.matches(".*(deltaview-(driver|engine|rewriter)|/(driver|engine|rewriter)/target/).*"),
          "the application's class path must not hold Deltaview's driver, engine or rewriter: " + entry);
    }
    return launch(agentArgument, jvmArgs, classPath, AgentApp.class, scenario, url, user, password);
  }

  /**
   * Runs {@link IsolatedLoaderApp}: pgjdbc is not on the class path but loaded by the application's own class
   * loader from {@code -Dpgjdbc.jar}.
   */
  static AgentChild runIsolated(Path work, String url, String user, String password) throws Exception {
    List<String> classPath = List.of(location(Deltaview.class),
        copyClasses(IsolatedLoaderApp.class, work).toString());
    return launch(null, List.of("-Dpgjdbc.jar=" + location(org.postgresql.Driver.class)), classPath,
        IsolatedLoaderApp.class, url, user, password);
  }

  private static AgentChild launch(String agentArgument, List<String> jvmArgs, List<String> classPath,
      Class<?> main, String... appArgs) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx384m");
    if (LATE.equals(agentArgument)) {
      cmd.add("-Djdk.attach.allowAttachSelf=true");
      cmd.add("-Dagent.jar=" + agentJar());
    } else {
      cmd.add("-javaagent:" + agentJar() + (agentArgument == null ? "" : "=" + agentArgument));
    }
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(String.join(File.pathSeparator, classPath));
    cmd.add(main.getName());
    cmd.addAll(List.of(appArgs));
    Process child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    Thread pump = new Thread(() -> copy(child.getInputStream(), output), "agent-app-output");
    pump.setDaemon(true);
    pump.start();
    boolean finished = child.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (!finished) {
      child.destroyForcibly();
      child.waitFor(30, TimeUnit.SECONDS);
    }
    pump.join(10_000);
    String out;
    synchronized (output) {
      out = output.toString(StandardCharsets.UTF_8);
    }
    AgentChild result = new AgentChild(cmd, finished ? child.exitValue() : -1, out);
    System.out.println(result.report());
    if (!finished) {
      fail("the application did not finish within " + TIMEOUT_SECONDS + " s" + result.report());
    }
    return result;
  }

  /** Fails unless the application reported success. */
  AgentChild assertOk() {
    assertTrue(exitCode == 0 && output.contains("APP OK"), "the application failed" + report());
    return this;
  }

  String result(String key) {
    String value = results.get(key);
    if (value == null) {
      fail("the application reported no " + key + report());
    }
    return value;
  }

  String report() {
    return "\n----- child JVM (" + String.join(" ", command) + ") exit " + exitCode + " -----\n" + output
        + "----- end of child output -----";
  }

  private static String location(Class<?> type) throws URISyntaxException {
    return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
  }

  /** Copies {@code main}'s class files (and its nested classes') into a fresh directory, keeping the package path. */
  private static Path copyClasses(Class<?> main, Path work) throws IOException, URISyntaxException {
    Path dir = work.resolve("app-classes-" + System.nanoTime());
    String pkg = main.getPackageName().replace('.', '/');
    Path source = Path.of(main.getResource(main.getSimpleName() + ".class").toURI()).getParent();
    Path target = Files.createDirectories(dir.resolve(pkg));
    int copied = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(source, main.getSimpleName() + "{,$*}.class")) {
      for (Path f : files) {
        Files.copy(f, target.resolve(f.getFileName().toString()));
        copied++;
      }
    }
    assertTrue(copied > 0, "no " + main.getSimpleName() + " class files under " + source);
    return dir;
  }

  private static void copy(InputStream in, ByteArrayOutputStream out) {
    try (in) {
      byte[] buffer = new byte[8192];
      for (int n; (n = in.read(buffer)) >= 0; ) {
        synchronized (out) {
          out.write(buffer, 0, n);
        }
      }
    } catch (IOException ignored) {
      // the child is gone
    }
  }
}
