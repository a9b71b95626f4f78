package io.deltaview.it.driver;

import io.deltaview.it.EngineProcess;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Another JVM with its own Deltaview connection (an {@link EngineProcess}): with the default
 * {@code deltaview.engine=embedded} it starts the engine first and so maintains the database's views.
 */
final class ChildJvm implements AutoCloseable {

  private final Process process;
  private final BufferedReader out;
  private final Writer in;

  ChildJvm(DriverDatabase db) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(EngineProcess.class.getName());
    cmd.add(db.deltaviewUrl);
    cmd.add(db.server.user());
    if (!db.server.password().isEmpty()) {
      cmd.add(db.server.password());
    }
    process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    expect("READY");
  }

  /** Runs one statement in the child; fails the test with the child's error. */
  void execute(String sql) throws Exception {
    in.write(sql.replace('\n', ' ') + "\n");
    in.flush();
    expect("OK");
  }

  private void expect(String word) throws Exception {
    String line = out.readLine();
    if (!word.equals(line)) {
      throw new AssertionError("child JVM answered " + line + " instead of " + word);
    }
  }

  /** SIGKILL: no shutdown hook runs, its connections just drop, as in a crash. */
  void kill() throws InterruptedException {
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
