package io.deltaview.benchmarks;

import io.deltaview.benchmarks.probe.AgentQueryProbe;
import io.deltaview.benchmarks.probe.FirstConnectionProbe;
import io.deltaview.benchmarks.probe.StartupProbe;
import io.deltaview.it.fixture.PostgresFixture;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * What the Deltaview agent costs an application, measured with child JVMs whose class path holds only pgjdbc
 * and the probe classes: (1) start-up, whole JVM runs of {@link StartupProbe} with and without
 * {@code -javaagent}, alternating; (2) the first connection, which under the agent loads Deltaview's core (its
 * runtime then starts in the background); (3) per query, on a query no view answers, the agent's wrapped connection against the
 * pgjdbc connection underneath it, interleaved in the same JVM, in {@code deltaview.mode=all} and with the query
 * unmarked in {@code opt-in}.
 */
final class AgentCost {

  private static final int STARTUP_RUNS = 9;
  private static final int FIRST_CONNECTION_RUNS = 3;

  private AgentCost() {
  }

  static void report(PostgresFixture server, String pgUrl, String sql, int maxId, int executions) throws Exception {
    Path agent = agentJar();
    String classPath = location(org.postgresql.Driver.class) + File.pathSeparator + location(AgentCost.class);
    System.out.println("(e) The agent (" + agent.getFileName() + "), child JVMs with only pgjdbc + the probe on the"
        + " class path");

    long[] plainStart = new long[STARTUP_RUNS];
    long[] agentStart = new long[STARTUP_RUNS];
    run(classPath, null, StartupProbe.class);
    run(classPath, agent, StartupProbe.class);
    for (int i = 0; i < STARTUP_RUNS; i++) {
      boolean agentFirst = (i & 1) == 1;
      long a = 0;
      long p = 0;
      for (int side = 0; side < 2; side++) {
        long t0 = System.nanoTime();
        boolean withAgent = (side == 0) == agentFirst;
        run(classPath, withAgent ? agent : null, StartupProbe.class);
        if (withAgent) {
          a = System.nanoTime() - t0;
        } else {
          p = System.nanoTime() - t0;
        }
      }
      plainStart[i] = p;
      agentStart[i] = a;
    }
    double plainMs = Interleaved.median(plainStart) / 1e6;
    double agentMs = Interleaved.median(agentStart) / 1e6;
    System.out.printf(Locale.ROOT, "    start-up (JVM start to exit, loads org.postgresql.Driver): plain %.0f ms,"
        + " with agent %.0f ms, added %.0f ms (goal < 300 ms), medians of %d alternating runs%n", plainMs, agentMs,
        agentMs - plainMs, STARTUP_RUNS);

    String user = server.user();
    String password = server.password();
    List<String> first = new ArrayList<>();
    for (int i = 0; i < FIRST_CONNECTION_RUNS; i++) {
      String p = field(run(classPath, null, FirstConnectionProbe.class, pgUrl, user, password), "FIRST", 1);
      String a = field(run(classPath, agent, FirstConnectionProbe.class, pgUrl, user, password), "FIRST", 1);
      first.add(String.format(Locale.ROOT, "%.0f/%.0f", Double.parseDouble(p), Double.parseDouble(a)));
    }
    System.out.println("    first connection + SELECT 1, plain/agent ms (agent: loads the core; the runtime starts"
        + " in the background): " + String.join("  ", first));

    for (String mode : new String[] {"all", "opt-in"}) {
      String out = run(classPath, agent, "deltaview.mode=" + mode, AgentQueryProbe.class, pgUrl, user, password,
          sql, Integer.toString(maxId), Integer.toString(executions));
      double plain = Double.parseDouble(field(out, "QUERY", 1)) / 1e3;
      double wrapped = Double.parseDouble(field(out, "QUERY", 2)) / 1e3;
      System.out.printf(Locale.ROOT, "    per query, deltaview.mode=%-6s pgjdbc underneath %7.1f µs   through the"
          + " agent %7.1f µs   ratio %.3f (per round %.3f; goal <= 1.03)   [means %.1f / %.1f µs]%n", mode, plain,
          wrapped, wrapped / plain, Double.parseDouble(field(out, "QUERY", 5)),
          Double.parseDouble(field(out, "QUERY", 3)) / 1e3, Double.parseDouble(field(out, "QUERY", 4)) / 1e3);
    }
    System.out.println("      " + sql);
    System.out.println();
  }

  /** {@code -Ddeltaview.agent.jar}, else agent/target/deltaview-agent.jar next to this module. */
  static Path agentJar() {
    String configured = System.getProperty("deltaview.agent.jar");
    List<Path> candidates = configured != null ? List.of(Path.of(configured))
        : List.of(Path.of("agent/target/deltaview-agent.jar"), Path.of("../agent/target/deltaview-agent.jar"));
    for (Path p : candidates) {
      if (Files.isRegularFile(p)) {
        return p.toAbsolutePath().normalize();
      }
    }
    throw new IllegalStateException("agent jar not found at " + candidates + "; build it first"
        + " (mvn -B -DskipTests install) or pass -Ddeltaview.agent.jar=...");
  }

  private static String location(Class<?> c) throws URISyntaxException {
    return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
  }

  private static String run(String classPath, Path agent, Class<?> main, String... args)
      throws IOException, InterruptedException {
    return run(classPath, agent, "", main, args);
  }

  /** Runs {@code main} in a child JVM (with the agent if given) and returns its stdout; fails on a non-zero exit. */
  private static String run(String classPath, Path agent, String agentArgs, Class<?> main, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx512m");
    if (agent != null) {
      cmd.add("-javaagent:" + agent + (agentArgs.isEmpty() ? "" : "=" + agentArgs));
    }
    cmd.add("-cp");
    cmd.add(classPath);
    cmd.add(main.getName());
    cmd.addAll(List.of(args));
    Process process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    StringBuilder out = new StringBuilder();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8))) {
      for (String l; (l = r.readLine()) != null; ) {
        out.append(l).append('\n');
      }
    }
    if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
      process.destroyForcibly();
      throw new IllegalStateException(main.getSimpleName() + " failed: " + out);
    }
    return out.toString();
  }

  /** Field {@code index} (space-separated, 0 = the tag) of the line of {@code out} starting with {@code tag}. */
  private static String field(String out, String tag, int index) {
    for (String line : out.split("\n")) {
      if (line.startsWith(tag + " ")) {
        return line.split(" ")[index];
      }
    }
    throw new IllegalStateException("no " + tag + " line in: " + out);
  }
}
