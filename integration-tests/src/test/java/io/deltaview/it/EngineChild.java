package io.deltaview.it;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Parent-side handle of an {@link EngineProcess} child JVM. */
public final class EngineChild implements AutoCloseable {

  private final Process process;
  private final BufferedReader out;
  private final Writer in;

  /** A child JVM connected to {@code db} through Deltaview (with the default embedded engine it maintains). */
  public EngineChild(DeltaviewDatabase db) throws Exception {
    this(db.deltaviewUrl, db.server.user(), db.server.password());
  }

  public EngineChild(String deltaviewUrl, String user, String password) throws Exception {
    this(deltaviewUrl, user, password, List.of());
  }

  /** As {@link #EngineChild(DeltaviewDatabase)}, with JVM options for the child (e.g. {@code -Ddeltaview.…}). */
  public EngineChild(DeltaviewDatabase db, List<String> jvmOptions) throws Exception {
    this(db.deltaviewUrl, db.server.user(), db.server.password(), jvmOptions);
  }

  public EngineChild(String deltaviewUrl, String user, String password, List<String> jvmOptions) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(EngineProcess.class.getName());
    cmd.add(deltaviewUrl);
    cmd.add(user);
    if (!password.isEmpty()) {
      cmd.add(password);
    }
    process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    expect("READY");
  }

  /** Runs one SQL statement in the child; fails the test with the child's error. */
  public void execute(String sql) throws Exception {
    in.write(sql.replace('\n', ' ') + "\n");
    in.flush();
    expect("OK");
  }

  /**
   * What the child's engine did since it started ({@link EngineProcess#stats}): e.g. {@code snapshotReads} →
   * 0; empty while the child maintains nothing.
   */
  public java.util.Map<String, Long> stats() throws Exception {
    in.write("STATS\n");
    in.flush();
    String line = out.readLine();
    if (line == null || !line.startsWith("STATS")) {
      throw new AssertionError("engine child answered " + line + " instead of STATS");
    }
    java.util.Map<String, Long> stats = new java.util.LinkedHashMap<>();
    for (String word : line.substring("STATS".length()).trim().split(" ")) {
      int eq = word.indexOf('=');
      if (eq > 0) {
        stats.put(word.substring(0, eq), Long.parseLong(word.substring(eq + 1)));
      }
    }
    return stats;
  }

  /** The rows of a query run in the child through its Deltaview connection (NULL as null). */
  public List<List<String>> rows(String sql) throws Exception {
    in.write("ROWS " + sql.replace('\n', ' ') + "\n");
    in.flush();
    List<List<String>> rows = new ArrayList<>();
    for (String line; (line = out.readLine()) != null; ) {
      if (line.equals("OK")) {
        return rows;
      }
      if (!line.startsWith("ROW ")) {
        throw new AssertionError("engine child answered " + line + " to " + sql);
      }
      List<String> row = new ArrayList<>();
      for (String v : line.substring(4).split("\\|", -1)) {
        row.add(v.equals("\\N") ? null : v);
      }
      rows.add(row);
    }
    throw new AssertionError("engine child ended while answering " + sql);
  }

  /** Whether the child JVM is still running. */
  public boolean alive() {
    return process.isAlive();
  }

  private void expect(String word) throws Exception {
    String line = out.readLine();
    if (!word.equals(line)) {
      throw new AssertionError("engine child answered " + line + " instead of " + word);
    }
  }

  /** SIGKILL: no shutdown hook runs, connections just drop, as in a crash. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      try {
        in.write("EXIT\n");
        in.flush();
      } catch (java.io.IOException ignored) {
        // already gone
      }
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        kill();
      }
    }
  }
}
