package io.deltaview.it.service;

import static io.deltaview.it.DeltaviewDatabase.await;
import static io.deltaview.it.DeltaviewDatabase.difference;
import static io.deltaview.it.DeltaviewDatabase.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.driver.DeltaviewOptions;
import io.deltaview.it.ChildJvms;
import io.deltaview.it.DeltaviewDatabase;
import io.deltaview.it.EngineChild;
import io.deltaview.it.fixture.ShopWorkload;
import io.deltaview.service.EngineService;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The engine service ({@code engine-service}) in child JVMs on a real database: it maintains the views that an
 * application created, answers its health checks and metrics, and a second service is a standby that takes over
 * when the first one gets SIGTERM. Applications connect with {@code deltaview.engine=none}.
 */
class EngineServiceTest {

  private static final String VIEW = "sv_regions";
  private static final String QUERY = "SELECT c.region, count(*) AS n, sum(o.amount) AS total FROM orders o"
      + " JOIN customers c ON o.customer_id = c.id GROUP BY c.region";
  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void theServiceMaintainsTheViewsAndAStandbyTakesOverOnSigterm() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("service").withShop(21);
    String database;
    try (Connection plain = db.plain()) {
      database = plain.getCatalog();
    }
    // A view registered before the service starts, by an application JVM with the embedded engine that then stops
    // (and lets go of the maintainer lock): the service maintains every registered view.
    try (EngineChild creator = new EngineChild(db)) {
      creator.execute("CREATE INCREMENTAL VIEW " + VIEW + " AS " + QUERY);
    }
    ShopWorkload workload = new ShopWorkload(42);
    Path logs = Files.createTempDirectory("engine-service-test");
    try (Connection writer = db.plain();
         Connection app = db.deltaview(DeltaviewOptions.ENGINE, "none");
         ServiceChild first = ServiceChild.start(db, logs.resolve("first.log"))) {
      workload.attach(writer, 10_000_000);
      await("the first service to be ready and maintain", TIMEOUT, () -> first.problem(200, 1, database));
      // An application without an engine creates and drops views through the service, as its own role; the
      // service reports a refusal back to it.
      exec(app, "CREATE INCREMENTAL VIEW sv_other AS SELECT id, amount FROM orders WHERE amount > 5");
      assertEquals(null, difference(writer, "sv_other", "SELECT id, amount FROM orders WHERE amount > 5"),
          "created by the service before the command returned");
      SQLException refused = assertThrows(SQLException.class,
          () -> exec(app, "CREATE INCREMENTAL VIEW sv_other AS SELECT id FROM orders"));
      assertEquals("42P07", refused.getSQLState(), refused.getMessage());
      exec(app, "DROP INCREMENTAL VIEW sv_other");

      for (int t = 0; t < 20; t++) {
        workload.randomTransaction(writer, 4);
      }
      await("the view to be exact while the first service maintains", TIMEOUT,
          () -> difference(writer, VIEW, QUERY));
      String metrics = first.get("/metrics").body();
      String view = "database=\"" + database + "\",view=\"public." + VIEW + "\"";
      assertTrue(metrics.contains("deltaview_view_status{" + view + ",state=\"ready\"} 1\n"), metrics);
      assertTrue(metrics.contains("deltaview_view_status{" + view + ",state=\"failed\"} 0\n"), metrics);
      assertTrue(metrics.contains("deltaview_view_lag_seconds{" + view + "} "), metrics);
      // Kept in memory from what the engine wrote: exactly the table's rows, without counting them.
      assertTrue(metrics.contains("deltaview_view_rows{" + view + "} "
          + DeltaviewDatabase.scalarLong(writer, "SELECT count(*) FROM " + VIEW) + "\n"), metrics);
      assertTrue(metrics.contains("# TYPE deltaview_view_changes_applied_total counter\n"), metrics);
      await("a staleness for the view", TIMEOUT, () -> first.get("/metrics").body()
          .contains("deltaview_view_staleness_seconds{" + view + "} ") ? null : "none yet");
      await("the view's state size from its first checkpoint", TIMEOUT, () -> first.get("/metrics").body()
          .contains("deltaview_view_state_bytes{" + view + "} ") ? null : "none yet");
      assertTrue(metrics.contains("# TYPE deltaview_checkpoints_written_total counter\n"), metrics);
      assertTrue(metrics.contains("deltaview_snapshot_reads_total{database=\"" + database + "\"} "), metrics);
      assertTrue(metrics.contains("deltaview_state_memory_limit_bytes "), metrics);
      assertTrue(metrics.contains("deltaview_state_spilled_arrangements 0\n"), metrics);
      assertEquals(200, first.get("/health/live").statusCode());
      // The application is served from the view the service maintains.
      await("the application to be served from the view", TIMEOUT, () -> {
        List<String> plan = DeltaviewDatabase.explain(app, QUERY);
        return plan.get(0).equals("t") ? null : "not rewritten: " + plan;
      });

      try (ServiceChild second = ServiceChild.start(db, logs.resolve("second.log"))) {
        await("the second service to be a ready standby", TIMEOUT, () -> second.problem(200, 0, database));
        assertTrue(second.get("/health/ready").body().contains("standby"), second.get("/health/ready").body());
        String standbyMetrics = second.get("/metrics").body();
        assertTrue(standbyMetrics.contains("deltaview_view_status{" + view + ",state=\"ready\"} 1\n"),
            standbyMetrics);
        assertFalse(standbyMetrics.contains("deltaview_checkpoints_written_total"), standbyMetrics);

        first.terminate(); // SIGTERM: the shutdown hook closes the engine and lets go of the lock
        assertFalse(first.alive(), "the first service stopped on SIGTERM\n" + first.log());
        assertTrue(first.log().contains("deltaview-engine: stopped maintaining database " + database), first.log());
        await("the second service to take over", TIMEOUT, () -> second.problem(200, 1, database));
        for (int t = 0; t < 20; t++) {
          workload.randomTransaction(writer, 4);
        }
        await("the view to be exact after the takeover", TIMEOUT, () -> difference(writer, VIEW, QUERY));
        String after = second.get("/metrics").body();
        assertTrue(after.contains("deltaview_view_status{" + view + ",state=\"ready\"} 1\n"), after);
      }
    }
  }

  @Test
  void badArgumentsExitWithTwoAndSayWhatIsWrong() throws Exception {
    assertBadArguments("unknown argument --verbose", "--url", "jdbc:postgresql://localhost:5432/shop", "--verbose");
    assertBadArguments("no database", "--http-port", "9464");
    assertBadArguments("not Deltaview's", "--url", "jdbc:deltaview:postgresql://localhost:5432/shop");
    assertBadArguments("--http-port must be a port number", "--url", "jdbc:postgresql://localhost:5432/shop",
        "--http-port", "http");
    assertBadArguments("--user needs a value", "--url", "jdbc:postgresql://localhost:5432/shop", "--user");
    assertBadArguments("cannot read --config", "--config", "/nonexistent/deltaview.properties");
  }

  private static void assertBadArguments(String message, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(javaCommand());
    cmd.addAll(List.of(args));
    ChildJvms.Finished run = ChildJvms.run(cmd, 120);
    assertTrue(run.inTime(), run.report());
    assertEquals(2, run.exitCode(), run.report());
    assertTrue(run.output().contains(message), "expected \"" + message + "\" in" + run.report());
    assertTrue(run.output().contains("usage: java -jar deltaview-engine.jar"), run.report());
  }

  private static List<String> javaCommand() {
    return List.of(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java", "-cp",
        System.getProperty("java.class.path"), EngineService.class.getName());
  }

  /** An engine service in a child JVM, started with the README's flags; its output goes to a log file. */
  private static final class ServiceChild implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final int port;

    private ServiceChild(Process process, Path log, int port) {
      this.process = process;
      this.log = log;
      this.port = port;
    }

    static ServiceChild start(DeltaviewDatabase db, Path log) throws IOException {
      int port = freePort();
      List<String> cmd = new ArrayList<>(javaCommand());
      cmd.addAll(List.of("--url", db.pgUrl, "--user", db.server.user(), "--password", db.server.password(),
          "--http-port", Integer.toString(port)));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      return new ServiceChild(p, log, port);
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
      HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
          .timeout(Duration.ofSeconds(20)).build();
      return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** Null when /health/ready answers {@code status} and /metrics says {@code maintaining}; else what differs. */
    String problem(int status, int maintaining, String database) throws IOException, InterruptedException {
      if (!process.isAlive()) {
        throw new AssertionError("the service exited with " + process.exitValue() + "\n" + log());
      }
      HttpResponse<String> ready;
      try {
        ready = get("/health/ready");
      } catch (IOException e) {
        return "HTTP not answering yet: " + e;
      }
      String want = "deltaview_maintaining{database=\"" + database + "\"} " + maintaining + "\n";
      String metrics = get("/metrics").body();
      if (ready.statusCode() != status || !metrics.contains(want)) {
        return "ready " + ready.statusCode() + " (" + ready.body().trim() + "), metrics without " + want.trim();
      }
      return null;
    }

    boolean alive() {
      return process.isAlive();
    }

    /** SIGTERM, and waits for the process to end. */
    void terminate() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    }

    String log() {
      try {
        return Files.readString(log, StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "(no log: " + e + ")";
      }
    }

    @Override
    public void close() throws InterruptedException {
      if (process.isAlive()) {
        terminate();
      }
      System.out.println("----- engine service log " + log + " -----\n" + log() + "----- end -----");
    }

    private static int freePort() throws IOException {
      try (ServerSocket s = new ServerSocket(0)) {
        s.setReuseAddress(true);
        return s.getLocalPort();
      }
    }
  }
}
