package io.deltaview.it.agent;

import static org.junit.jupiter.api.Assertions.fail;

import io.deltaview.it.ChildJvms;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An application main run in a child JVM with the Deltaview agent and an application's class path only
 * (pgjdbc, HikariCP, jOOQ, the Deltaview API, the app's classes: no Deltaview driver or engine), driven
 * line by line: each command's answer is the lines up to {@code END}.
 */
final class AppChild implements AutoCloseable {

  static final long ANSWER_TIMEOUT_SECONDS = 120;
  /**
   * Where an application's classes come from: pgjdbc, HikariCP (and slf4j-api), jOOQ (and the reactive APIs its
   * query types implement), Deltaview's api, and the application itself. Deltaview's modules, Calcite, ... are not
   * on its class path: the agent brings them.
   */
  private static final List<Class<?>> APP_CLASS_PATH = List.of(org.postgresql.Driver.class,
      com.zaxxer.hikari.HikariDataSource.class, org.slf4j.LoggerFactory.class, org.jooq.DSLContext.class,
      io.r2dbc.spi.ConnectionFactory.class, org.reactivestreams.Publisher.class, io.deltaview.Deltaview.class);

  private final Process process;
  private final Writer in;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final List<String> stderr = new ArrayList<>();

  AppChild(String agentArgument, Class<?> main, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    cmd.add("-Xmx512m");
    cmd.add("-javaagent:" + AgentChild.agentJar() + (agentArgument.isEmpty() ? "" : "=" + agentArgument));
    cmd.add("-cp");
    cmd.add(appClassPath(main));
    cmd.add(main.getName());
    cmd.addAll(List.of(args));
    process = new ProcessBuilder(cmd).start();
    in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    pump(new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)), lines, "out");
    BlockingQueue<String> errors = new LinkedBlockingQueue<>();
    pump(new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8)), errors,
        "err");
    Thread errCollector = new Thread(() -> {
      try {
        for (String l; !(l = errors.take()).equals("\u0000EOF"); ) {
          synchronized (stderr) {
            stderr.add(l);
          }
          System.err.println("[app] " + l);
        }
      } catch (InterruptedException ignored) {
        // test over
      }
    });
    errCollector.setDaemon(true);
    errCollector.start();
    List<String> ready = answer("READY");
    if (!ready.isEmpty()) {
      fail("the application printed " + ready + " before READY");
    }
  }

  static String appClassPath(Class<?> main) throws IOException {
    List<String> entries = new ArrayList<>();
    try {
      for (Class<?> c : APP_CLASS_PATH) {
        entries.add(ChildJvms.location(c));
      }
      entries.add(ChildJvms.location(main));
    } catch (URISyntaxException e) {
      throw new IOException(e);
    }
    return String.join(File.pathSeparator, entries);
  }

  private static void pump(BufferedReader reader, BlockingQueue<String> into, String name) {
    Thread t = new Thread(() -> {
      try {
        for (String l; (l = reader.readLine()) != null; ) {
          into.add(l);
        }
      } catch (IOException ignored) {
        // the child is gone
      }
      into.add("\u0000EOF");
    }, "app-child-" + name);
    t.setDaemon(true);
    t.start();
  }

  /** Sends one command and returns its answer's lines; fails on {@code ERROR} or when the child dies. */
  List<String> send(String command) throws IOException, InterruptedException {
    in.write(command + "\n");
    in.flush();
    return answer("END");
  }

  private List<String> answer(String terminator) throws InterruptedException {
    List<String> answer = new ArrayList<>();
    while (true) {
      String l = lines.poll(ANSWER_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      if (l == null) {
        fail("no " + terminator + " from the application within " + ANSWER_TIMEOUT_SECONDS + " s; got " + answer);
      }
      if (l.equals("\u0000EOF")) {
        fail("the application exited; output " + answer + ", stderr " + stderr());
      }
      if (l.equals(terminator)) {
        return answer;
      }
      if (l.startsWith("ERROR ")) {
        fail("the application failed: " + l + "; stderr " + stderr());
      }
      answer.add(l);
    }
  }

  List<String> stderr() {
    synchronized (stderr) {
      return new ArrayList<>(stderr);
    }
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      try {
        in.write("quit\n");
        in.flush();
      } catch (IOException ignored) {
        // already gone
      }
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }
}
