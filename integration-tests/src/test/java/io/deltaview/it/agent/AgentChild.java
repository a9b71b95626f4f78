package io.deltaview.it.agent;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.zaxxer.hikari.HikariDataSource;
import io.deltaview.Deltaview;
import io.deltaview.it.ChildJvms;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs {@link AgentApp} (or {@link IsolatedLoaderApp}) in a child JVM with {@code -javaagent:agent/target/deltaview-agent.jar} and a class path of
 * only what an application has (pgjdbc, HikariCP and slf4j-api, deltaview-api, a directory with AgentApp's
 * classes), then collects its {@code RESULT} lines and its {@code deltaview-agent:} lines.
 */
final class AgentChild {

  static final long TIMEOUT_SECONDS = 240;
  /** As the agent argument: no -javaagent; the application attaches the agent to itself (-Dagent.jar). */
  static final String LATE = "<late attach>";

  private final ChildJvms.Finished finished;
  final String output;
  final Map<String, String> results = new LinkedHashMap<>();
  final List<String> agentLines = new ArrayList<>();

  private AgentChild(ChildJvms.Finished finished) {
    this.finished = finished;
    this.output = finished.output();
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
    return ChildJvms.builtJar("agent/target/deltaview-agent.jar");
  }

  static Path driverAllJar() {
    return ChildJvms.builtJar("driver/target/deltaview-driver-all.jar");
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
    classPath.add(ChildJvms.location(org.postgresql.Driver.class));
    classPath.add(ChildJvms.location(HikariDataSource.class));
    classPath.add(ChildJvms.location(org.slf4j.LoggerFactory.class));
    classPath.add(ChildJvms.location(Deltaview.class));
    classPath.add(ChildJvms.copyClasses(AgentApp.class, work).toString());
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
    List<String> classPath = List.of(ChildJvms.location(Deltaview.class),
        ChildJvms.copyClasses(IsolatedLoaderApp.class, work).toString());
    return launch(null, List.of("-Dpgjdbc.jar=" + ChildJvms.location(org.postgresql.Driver.class)), classPath,
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
    ChildJvms.Finished child = ChildJvms.run(cmd, TIMEOUT_SECONDS);
    AgentChild result = new AgentChild(child);
    if (!child.inTime()) {
      fail("the application did not finish within " + TIMEOUT_SECONDS + " s" + result.report());
    }
    return result;
  }

  /** Fails unless the application reported success. */
  AgentChild assertOk() {
    assertTrue(finished.exitCode() == 0 && output.contains("APP OK"), "the application failed" + report());
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
    return finished.report();
  }
}
