package io.deltaview.service;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.deltaview.engine.ViewStatus;
import io.deltaview.engine.catalog.ViewState;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The engine as a process of its own: maintains the incremental views of the databases it is given, taking part in
 * the same leader election as application JVMs with the embedded engine (one maintainer per database; any other
 * is a standby that takes over when it stops), and answers {@code /health/live}, {@code /health/ready} and
 * {@code /metrics} over HTTP. SIGTERM stops it cleanly: the engines let go of their slots and maintainer locks, so
 * a standby takes over at once. Exit code 2 for arguments it cannot run with.
 */
public final class EngineService implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(EngineService.class.getName());
  static final int EXIT_BAD_ARGUMENTS = 2;

  private final List<MaintainedDatabase> databases = new ArrayList<>();
  private final HttpServer http;
  private final ExecutorService httpThreads;

  private EngineService(ServiceSettings settings) throws IOException {
    http = HttpServer.create(new InetSocketAddress(settings.httpPort()), 16);
    httpThreads = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "deltaview-service-http");
      t.setDaemon(true);
      return t;
    });
    http.setExecutor(httpThreads);
    http.createContext("/health/live", ex -> respond(ex, 200, "text/plain", "live\n"));
    http.createContext("/health/ready", ex -> {
      String problem = notReady();
      respond(ex, problem == null ? 200 : 503, "text/plain", (problem == null ? readyText() : problem) + "\n");
    });
    http.createContext("/metrics", ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
        Metrics.render(databases)));
    for (String url : settings.urls()) {
      databases.add(new MaintainedDatabase(url, settings.connectionProperties()));
    }
  }

  /** Starts the service; the caller closes it (the shutdown hook does, in {@link #main}). */
  static EngineService start(ServiceSettings settings) throws IOException {
    EngineService service = new EngineService(settings);
    service.http.start();
    for (MaintainedDatabase db : service.databases) {
      db.start();
    }
    return service;
  }

  /** The port HTTP listens on (the one asked for, or the one chosen for port 0). */
  int httpPort() {
    return http.getAddress().getPort();
  }

  /** Null when every database is ready: maintained with its views loaded, or a connected standby. */
  String notReady() {
    List<String> problems = new ArrayList<>();
    for (MaintainedDatabase db : databases) {
      String p = notReady(db);
      if (p != null) {
        problems.add(db.name() + ": " + p);
      }
    }
    return problems.isEmpty() ? null : "not ready: " + String.join("; ", problems);
  }

  private static String notReady(MaintainedDatabase db) {
    if (!db.connected()) {
      return "cannot reach the database: " + db.lookFailure();
    }
    if (!db.maintaining()) {
      // A connected standby; so is an engine that lost the maintainer lock (its connection) and asks for it again.
      return null;
    }
    List<ViewStatus> views;
    try {
      views = db.views();
    } catch (SQLException | RuntimeException e) {
      return "cannot read the views' status: " + e.getMessage();
    }
    List<String> loading = new ArrayList<>();
    for (ViewStatus v : views) {
      if (v.status() == ViewState.SNAPSHOTTING || v.status() == ViewState.REBUILDING) {
        loading.add(v.name() + " (" + v.status() + ")");
      }
    }
    return loading.isEmpty() ? null : "loading views: " + String.join(", ", loading);
  }

  private String readyText() {
    List<String> parts = new ArrayList<>();
    for (MaintainedDatabase db : databases) {
      parts.add(db.name() + ": " + (db.maintaining() ? "maintaining" : "standby (" + db.standbyReason() + ")"));
    }
    return "ready: " + String.join("; ", parts);
  }

  private static void respond(HttpExchange ex, int status, String contentType, String body) throws IOException {
    try (ex) {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", contentType);
      if (ex.getRequestMethod().equals("HEAD")) {
        ex.sendResponseHeaders(status, -1);
        return;
      }
      ex.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /** Stops maintaining (a standby takes over), then stops answering HTTP. */
  @Override
  public void close() {
    for (MaintainedDatabase db : databases) {
      try {
        db.close();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "stopping database " + db.name() + " failed: " + e, e);
      }
    }
    http.stop(0);
    httpThreads.shutdownNow();
  }

  public static void main(String[] args) {
    ServiceSettings settings;
    try {
      settings = ServiceSettings.parse(args, System.getenv());
    } catch (ServiceSettings.HelpRequested e) {
      System.out.println(ServiceSettings.USAGE);
      return;
    } catch (ServiceSettings.BadArguments e) {
      System.err.println("deltaview-engine: " + e.getMessage());
      System.err.println(ServiceSettings.USAGE);
      System.exit(EXIT_BAD_ARGUMENTS);
      return;
    }
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
    }
    EngineService service;
    try {
      service = start(settings);
    } catch (IOException e) {
      System.err.println("deltaview-engine: cannot listen on HTTP port " + settings.httpPort() + ": " + e);
      System.exit(EXIT_BAD_ARGUMENTS);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.err.println("deltaview-engine: stopping"); // not logged: see MaintainedDatabase#close
      service.close();
      System.err.println("deltaview-engine: stopped");
      stopped.countDown();
    }, "deltaview-service-shutdown"));
    List<String> names = new ArrayList<>();
    for (MaintainedDatabase db : service.databases) {
      names.add(db.displayUrl());
    }
    LOG.log(System.Logger.Level.INFO, "Deltaview engine service started for " + String.join(", ", names)
        + "; HTTP on port " + service.httpPort() + " (/health/live, /health/ready, /metrics)");
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
