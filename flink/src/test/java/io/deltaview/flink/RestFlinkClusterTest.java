package io.deltaview.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.EngineConfig;
import io.deltaview.engine.ViewStatus;
import io.deltaview.engine.catalog.ViewState;
import io.deltaview.engine.catalog.BackendViews;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.ddl.Requester;
import io.deltaview.flink.job.JobSpec;
import io.deltaview.it.fixture.PostgresFixture;
import io.deltaview.rewriter.sql.DefinitionSql;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A Flink view on a Flink session cluster reached only through its REST API ({@code deltaview.flink.rest=http://…}):
 * the cluster is a MiniCluster with Flink's web submission in a JVM of its own, whose class path is the job module's
 * less every jar the shaded job jar holds (so the job runs from the uploaded jar, connectors and pgjdbc included),
 * and which has the database password in its environment only. Through {@link FlinkViewBackend}: the result table
 * equals the view's query after the snapshot and after random transactions; the password is in no request sent to
 * the cluster (the encoded job decoded), nor in the job's name or configuration there; closing the engine leaves
 * the job running and resuming finds it again; a cancelled job resumes from its retained checkpoint and the table
 * is exact again; DROP leaves no job, slot, publication or table. (About 50 s here, so in the default suite.)
 */
class RestFlinkClusterTest {

  /** The test server's password, or, where it trusts local connections and has none, one it never checks. */
  private static final String PASSWORD = PostgresFixture.get().password().isEmpty()
      ? "never-shown-" + System.nanoTime() : PostgresFixture.get().password();

  private static Process cluster;
  private static String rest;
  private static Path clusterLog;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void startCluster() throws Exception {
    Path target = Path.of(JobSpec.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
    Assumptions.assumeTrue(Files.isRegularFile(target.resolve("web-class-path.txt")), "the test cluster needs the"
        + " flink-job module's build directory (" + target + "): run in a reactor build with flink-job");
    Path jobJar = new FlinkCluster(URI.create("http://localhost"), "file:///x", "X", null).jar();
    Set<String> shaded = new HashSet<>();
    try (ZipFile jar = new ZipFile(jobJar.toFile())) {
      jar.stream().forEach(e -> shaded.add(e.getName()));
    }
    List<String> classPath = new ArrayList<>();
    for (String entry : LocalFlinkRunner.jobClassPath().subList(1, LocalFlinkRunner.jobClassPath().size())) {
      if (!inShadedJar(Path.of(entry), shaded)) {
        classPath.add(entry);
      }
    }
    assertTrue(classPath.stream().noneMatch(e -> e.contains("postgresql-42.7.4")), classPath.toString());
    assertTrue(classPath.stream().noneMatch(e -> e.contains("flink-connector-postgres-cdc")), classPath.toString());
    for (String web : Files.readString(target.resolve("web-class-path.txt")).strip().split(File.pathSeparator)) {
      classPath.add(web.strip());
    }
    classPath.add(target.resolve("test-classes").toString());

    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx1g");
    command.addAll(LocalFlinkRunner.JAVA_17_OPENS);
    command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    command.add("-cp");
    command.add(String.join(File.pathSeparator, classPath));
    command.add("io.deltaview.flink.job.RestTestCluster");
    clusterLog = Path.of("target", "rest-flink-cluster.log").toAbsolutePath();
    ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.to(clusterLog.toFile()));
    pb.environment().put(FlinkCluster.DEFAULT_PASSWORD_VARIABLE, PASSWORD);
    cluster = pb.start();
    CompletableFuture<String> port = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(cluster.getInputStream(),
          StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          if (line.startsWith("REST ")) {
            port.complete(line.substring("REST ".length()).strip());
          }
        }
      } catch (IOException e) {
        // the cluster ended
      }
      port.completeExceptionally(new IOException("the test cluster ended; its log: " + clusterLog));
    }, "rest-cluster-output");
    reader.setDaemon(true);
    reader.start();
    rest = "http://127.0.0.1:" + port.get(3, TimeUnit.MINUTES);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.getOutputStream().close();
      if (!cluster.waitFor(60, TimeUnit.SECONDS)) {
        cluster.destroyForcibly();
      }
    }
  }

  /** Whether the classes of {@code jar} are in the shaded job jar (its first class is, by name). */
  private static boolean inShadedJar(Path jar, Set<String> shaded) throws IOException {
    if (!jar.toString().endsWith(".jar")) {
      return false;
    }
    try (ZipFile z = new ZipFile(jar.toFile())) {
      Enumeration<? extends ZipEntry> entries = z.entries();
      while (entries.hasMoreElements()) {
        String name = entries.nextElement().getName();
        if (name.endsWith(".class") && !name.startsWith("META-INF/") && !name.endsWith("module-info.class")) {
          return shaded.contains(name);
        }
      }
    }
    return false;
  }

  @Test
  void aViewOnAFlinkClusterIsExactSurvivesTheEngineAndACancelAndDropLeavesNothing() throws Exception {
    ShopTables shop = new ShopTables();
    PostgresFixture pg = PostgresFixture.get();
    String url = pg.createDatabase("flink_rest");
    String database = FlinkDatabase.fromJdbcUrl(url, pg.user(), null).database();
    Properties credentials = pg.credentials();
    String password = PASSWORD;
    credentials.setProperty("password", password);
    EngineConfig config = new EngineConfig(url, credentials, database);
    FlinkViewBackend backend = new FlinkViewBackend();
    Path checkpoints = Path.of("target", "rest-flink-checkpoints", Long.toString(shop.seed)).toAbsolutePath();
    System.setProperty("deltaview.flink.rest", rest);
    System.setProperty("deltaview.flink.checkpointDir", checkpoints.toUri().toString());
    List<String> sent = new CopyOnWriteArrayList<>();
    RestFlinkRunner.traffic = sent::add;
    String jobName = FlinkSqlTranslator.jobName(FlinkViews.replicationName(database, "public", "by_region"),
        "public", "by_region");
    try (Connection c = pg.connect(url)) {
      ShopTables.createTables(c);
      for (int i = 0; i < 200; i++) {
        shop.insertOrder(c);
      }
      Requester requester = Requester.of(c);
      ViewRecord record = ShopTables.recordByRegion(c, requester); // what the engine does before it asks
      backend.create(config, requester, record);
      FlinkView view = only(FlinkViewBackend.running());
      assertTrue(view.runner() instanceof RestFlinkRunner, view.runner().describe());
      String firstJob = view.runner().jobId();
      assertEquals(jobName, Json.get(get("/jobs/" + firstJob), "name"));
      shop.awaitEqual(c, "by_region", Duration.ofMinutes(3), view);
      for (int t = 0; t < 40; t++) {
        shop.randomTransaction(c);
      }
      shop.awaitEqual(c, "by_region", Duration.ofMinutes(2), view);
      ShopTables.awaitRecorded(c, ViewState.READY);
      long lagDeadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (view.runner().lagMs() == null) { // the cluster's metrics are fetched every few seconds
        assertTrue(System.nanoTime() < lagDeadline, "no lag from the cluster's metrics within 30 s");
        Thread.sleep(200); // polling interval of the condition above, not a synchronisation
      }
      ViewStatus status = backend.status(config, c, BackendViews.find(c, "public", "by_region").view());
      assertTrue(status.lagMs() != null && status.lagMs() > 0 && status.lagMs() < 60_000, "lag_ms " + status);
      assertEquals(ViewState.READY, status.status());
      assertTrue(status.progress().startsWith("Flink job " + firstJob + " on the Flink cluster at " + rest),
          status.progress());

      // the password: in no request (the job argument decoded), nor in what the cluster shows of the job
      assertTrue(sent.stream().anyMatch(r -> r.startsWith("POST " + rest + "/jars/")), sent.toString());
      for (String request : sent) {
        assertFalse(request.contains(password), request);
        for (String argument : jobArguments(request)) {
          assertFalse(new String(Base64.getDecoder().decode(argument), StandardCharsets.ISO_8859_1)
              .contains(password), "the encoded job holds no password");
        }
      }
      for (String path : List.of("/jobs/" + firstJob, "/jobs/" + firstJob + "/config", "/jobs/" + firstJob + "/plan",
          "/jobs/overview")) {
        assertFalse(getText(path).contains(password), path);
      }

      backend.close(config); // the engine stops: the job lives on in the cluster
      assertTrue(FlinkViewBackend.running().isEmpty());
      assertEquals("RUNNING", Json.get(get("/jobs/" + firstJob), "state"));
      for (int t = 0; t < 20; t++) {
        shop.randomTransaction(c);
      }
      backend.resume(config); // the next engine finds the job by its name
      FlinkView attached = awaitRunning();
      assertEquals(firstJob, attached.runner().jobId(), "the running job is attached, not submitted again");
      shop.awaitEqual(c, "by_region", Duration.ofMinutes(2), attached);

      // cancelled after a checkpoint taken while streaming: resumed from it, the table is exact again
      long streaming = System.currentTimeMillis();
      awaitCheckpointAfter(firstJob, streaming);
      attached.runner().cancel();
      assertFalse(attached.runner().isRunning());
      assertEquals("CANCELED", Json.get(get("/jobs/" + firstJob), "state"));
      backend.close(config);
      for (int t = 0; t < 30; t++) {
        shop.randomTransaction(c);
      }
      backend.resume(config);
      FlinkView resumed = awaitRunning();
      assertNotEquals(firstJob, resumed.runner().jobId());
      Object restored = Json.get(get("/jobs/" + resumed.runner().jobId() + "/checkpoints"), "latest", "restored",
          "external_path");
      assertNotNull(restored, "the new job was restored from the cancelled job's checkpoint");
      shop.awaitEqual(c, "by_region", Duration.ofMinutes(2), resumed);
      for (int t = 0; t < 20; t++) {
        shop.randomTransaction(c);
      }
      shop.awaitEqual(c, "by_region", Duration.ofMinutes(2), resumed);

      // DROP by an engine that does not hold the job (it closed): the job is found by name and cancelled
      backend.close(config);
      assertTrue(resumed.runner().isRunning());
      backend.drop(config, record);
      assertTrue(BackendViews.delete(c, "public", "by_region"));
      assertFalse(resumed.runner().isRunning());
      List<?> jobs = (List<?>) Json.get(get("/jobs/overview"), "jobs");
      for (Object j : jobs) {
        assertFalse(jobName.equals(Json.get(j, "name")) && !List.of("CANCELED", "FAILED", "FINISHED")
            .contains(Json.get(j, "state")), "a job of the dropped view still runs: " + j);
      }
      assertTrue(FlinkViewBackend.running().isEmpty());
      FlinkViewsTest.assertNothingLeft(c);
      for (String request : sent) {
        assertFalse(request.contains(password), request);
      }
      String log = Files.readString(clusterLog);
      assertFalse(log.contains(FlinkCluster.DEFAULT_PASSWORD_VARIABLE + " is not set"), "the job read the password");
      assertFalse(log.contains(password), "the password is not in the cluster's log");
    } finally {
      RestFlinkRunner.traffic = null;
      System.clearProperty("deltaview.flink.rest");
      System.clearProperty("deltaview.flink.checkpointDir");
      backend.close(config);
    }
  }

  /** The encoded jobs ({@code --job <Base64>}) in a recorded run request. */
  private static List<String> jobArguments(String request) {
    List<String> out = new ArrayList<>();
    int newline = request.indexOf('\n');
    if (!request.startsWith("POST ") || !request.substring(0, newline).endsWith("/run")) {
      return out;
    }
    Object arguments = Json.get(Json.parse(request.substring(newline + 1)), "programArgsList");
    List<?> list = (List<?>) arguments;
    for (int i = 0; i + 1 < list.size(); i++) {
      if ("--job".equals(list.get(i))) {
        out.add((String) list.get(i + 1));
      }
    }
    assertEquals(1, out.size(), request);
    return out;
  }

  private static FlinkView awaitRunning() throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (FlinkViewBackend.running().isEmpty()) {
      assertTrue(System.nanoTime() < deadline, "the view was not resumed within 3 minutes");
      Thread.sleep(200); // polling interval of the condition above, not a synchronisation
    }
    return only(FlinkViewBackend.running());
  }

  /** Waits (at most two minutes) for a checkpoint of {@code jobId} that completed after {@code after} (ms). */
  private static void awaitCheckpointAfter(String jobId, long after) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (true) {
      Object acked = Json.get(get("/jobs/" + jobId + "/checkpoints"), "latest", "completed", "latest_ack_timestamp");
      if (acked instanceof BigDecimal b && b.longValue() > after) {
        return;
      }
      assertTrue(System.nanoTime() < deadline, "no checkpoint of " + jobId + " completed within 2 minutes");
      Thread.sleep(200); // polling interval of the condition above, not a synchronisation
    }
  }

  private static Object get(String path) throws Exception {
    return Json.parse(getText(path));
  }

  private static String getText(String path) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(rest + path)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), path + ": " + r.body());
    return r.body();
  }

  private static FlinkView only(Collection<FlinkView> views) {
    assertEquals(1, views.size(), views.toString());
    return views.iterator().next();
  }
}
