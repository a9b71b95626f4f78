package io.deltaview.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.deltaview.flink.job.JobSpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RestFlinkRunner} against a fake Flink REST API that records what it is sent: the jar is uploaded once per
 * content, the run request carries the job as an argument and the password variable's name but never a password,
 * failures come back with Flink's root cause, a running job of the view's name is attached to rather than submitted
 * again, a stopped one resumed from its newest retained checkpoint; and the settings' validation.
 */
class RestFlinkRunnerTest {

  private static final String JOB = "0123456789abcdef0123456789abcdef";
  private static final String NAME = "deltaview dvf_00 public.v";

  private HttpServer server;
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final Map<String, String> bodies = new ConcurrentHashMap<>();
  private volatile String jobState = "RUNNING";
  private volatile String overview = "{\"jobs\":[]}";
  private volatile String jars = "{\"files\":[]}";
  private volatile String runAnswer = "{\"jobid\":\"" + JOB + "\"}";
  private volatile int runStatus = 200;
  private FlinkCluster cluster;
  private final JobSpec job = new JobSpec(NAME,
      List.of(new JobSpec.Table("source_0", "postgres-cdc", List.of(new JobSpec.Column("c0", "INT NOT NULL")),
          List.of("c0"), Map.of("hostname", "db", "username", "app"))),
      new JobSpec.Table("result_table", "jdbc", List.of(new JobSpec.Column("c0", "INT NOT NULL")), List.of("c0"),
          Map.of("url", "jdbc:postgresql://db:5432/shop", "username", "app")),
      "INSERT INTO `result_table` SELECT `c0` FROM `source_0`", Map.of("parallelism.default", "1"));

  @BeforeEach
  void start(@TempDir Path dir) throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.start();
    Path jar = Files.write(dir.resolve("job.jar"), "jar bytes".getBytes(StandardCharsets.UTF_8));
    cluster = new FlinkCluster(URI.create("http://127.0.0.1:" + server.getAddress().getPort()),
        "file:///shared/checkpoints/dvf_00", "SHOP_PASSWORD", jar);
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private void handle(HttpExchange x) throws IOException {
    String path = x.getRequestURI().getPath();
    String query = x.getRequestURI().getQuery();
    String request = x.getRequestMethod() + " " + path + (query == null ? "" : "?" + query);
    requests.add(request);
    bodies.put(request, new String(x.getRequestBody().readAllBytes(), StandardCharsets.ISO_8859_1));
    int status = 200;
    String answer;
    if (request.equals("GET /jobs/overview")) {
      answer = overview;
    } else if (request.equals("GET /jars")) {
      answer = jars;
    } else if (request.equals("POST /jars/upload")) {
      answer = "{\"filename\":\"/tmp/flink-web/flink-web-upload/1234_job.jar\",\"status\":\"success\"}";
    } else if (request.startsWith("POST /jars/") && path.endsWith("/run")) {
      status = runStatus;
      answer = runAnswer;
    } else if (request.equals("GET /jobs/" + JOB)) {
      answer = "{\"jid\":\"" + JOB + "\",\"name\":" + Json.quote(NAME) + ",\"state\":\"" + jobState + "\"}";
    } else if (request.equals("PATCH /jobs/" + JOB + "?mode=cancel")) {
      jobState = "CANCELED";
      status = 202;
      answer = "{}";
    } else if (request.startsWith("GET /jobs/" + JOB + "/exceptions")) {
      answer = "{\"root-exception\":" + Json.quote("org.apache.flink.runtime.JobException: Recovery is suppressed\n"
          + "\tat x.y(Z.java:1)\nCaused by: org.postgresql.util.PSQLException: FATAL: password authentication failed"
          + "\n\tat a.b(C.java:2)") + "}";
    } else if (request.equals("GET /jobs/" + JOB + "/checkpoints")) {
      answer = "{\"latest\":{\"completed\":{\"id\":3,\"external_path\":\"file:/shared/checkpoints/dvf_00/" + JOB
          + "/chk-3\"},\"restored\":null}}";
    } else {
      status = 404;
      answer = "{\"errors\":[\"Not found: " + path + "\"]}";
    }
    byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().add("Content-Type", "application/json");
    x.sendResponseHeaders(status, bytes.length);
    x.getResponseBody().write(bytes);
    x.close();
  }

  @Test
  void submitUploadsTheJarOnceAndRunsTheJobWithoutAnyPasswordThenCancelsIt() throws Exception {
    RestFlinkRunner runner = RestFlinkRunner.submit(cluster, job, null, Duration.ofSeconds(10));
    assertEquals(JOB, runner.jobId());
    assertEquals(List.of("GET /jobs/overview", "GET /jars", "POST /jars/upload", "POST /jars/1234_job.jar/run",
        "GET /jobs/" + JOB), requests);
    String upload = bodies.get("POST /jars/upload");
    assertTrue(upload.matches("(?s).*name=\"jarfile\"; filename=\"deltaview-flink-job-[0-9a-f]{16}\\.jar\".*"),
        upload);
    assertTrue(upload.contains("\r\n\r\njar bytes\r\n--"), upload);
    Object run = Json.parse(bodies.get("POST /jars/1234_job.jar/run"));
    assertEquals(RestFlinkRunner.ENTRY_CLASS, Json.get(run, "entryClass"));
    List<?> arguments = (List<?>) Json.get(run, "programArgsList");
    assertEquals(4, arguments.size());
    assertEquals(List.of("--job", "--password-env", "SHOP_PASSWORD"),
        List.of(arguments.get(0), arguments.get(2), arguments.get(3)));
    assertEquals(job, JobSpec.fromArgument((String) arguments.get(1)));
    assertNull(Json.get(run, "savepointPath"));
    assertTrue(runner.isRunning());
    assertNull(runner.failure());
    assertEquals("Flink job " + JOB + " on the Flink cluster at " + cluster.rest(), runner.describe());

    requests.clear();
    runner.close(); // the engine closes: the job stays
    assertEquals(List.of(), requests);
    runner.cancel();
    assertTrue(requests.contains("PATCH /jobs/" + JOB + "?mode=cancel"), requests.toString());
    assertFalse(runner.isRunning());
    assertEquals("Flink job " + JOB + " is CANCELED on the cluster at " + cluster.rest(), runner.failure());

    // the same jar again: found by its name, not uploaded twice
    String uploadedName = upload.replaceFirst("(?s).*filename=\"([^\"]+)\".*", "$1");
    jars = "{\"files\":[{\"id\":\"1234_" + uploadedName + "\",\"name\":\"" + uploadedName + "\"}]}";
    jobState = "RUNNING";
    requests.clear();
    RestFlinkRunner.submit(cluster, job, null, Duration.ofSeconds(10));
    assertFalse(requests.contains("POST /jars/upload"), requests.toString());
    assertTrue(requests.contains("POST /jars/1234_" + uploadedName + "/run"), requests.toString());
  }

  @Test
  void aJobThatFailsOrARunThatIsRefusedSaysWhyInFlinksWords() throws Exception {
    jobState = "FAILED";
    SQLException failed = assertThrows(SQLException.class,
        () -> RestFlinkRunner.submit(cluster, job, null, Duration.ofSeconds(10)));
    assertEquals("XX000", failed.getSQLState());
    assertTrue(failed.getMessage().contains("Recovery is suppressed … org.postgresql.util.PSQLException: FATAL:"
        + " password authentication failed"), failed.getMessage());

    runStatus = 500;
    runAnswer = "{\"errors\":[" + Json.quote("org.apache.flink.runtime.rest.handler.RestHandlerException: Could not"
        + " execute application.\n\tat x\nCaused by: java.lang.ClassNotFoundException: Nope") + "]}";
    SQLException refused = assertThrows(SQLException.class,
        () -> RestFlinkRunner.submit(cluster, job, null, Duration.ofSeconds(10)));
    assertEquals("XX000", refused.getSQLState());
    assertTrue(refused.getMessage().contains("HTTP 500") && refused.getMessage().contains(
        "ClassNotFoundException: Nope"), refused.getMessage());
  }

  @Test
  void aJobOfTheSameNameIsAttachedToOrResumedFromItsNewestCheckpointButNeverRunTwice() throws Exception {
    overview = "{\"jobs\":[{\"jid\":\"" + JOB + "\",\"name\":" + Json.quote(NAME) + ",\"state\":\"RUNNING\","
        + "\"start-time\":5},{\"jid\":\"ffffffffffffffffffffffffffffffff\",\"name\":\"other\",\"state\":\"RUNNING\"}]}";
    assertEquals("55000", assertThrows(SQLException.class,
        () -> RestFlinkRunner.submit(cluster, job, null, Duration.ofSeconds(10))).getSQLState());
    requests.clear();
    RestFlinkRunner attached = RestFlinkRunner.resume(cluster, job, Duration.ofSeconds(10));
    assertEquals(JOB, attached.jobId());
    assertEquals(List.of("GET /jobs/overview"), requests, "attached without submitting");

    overview = overview.replace("\"RUNNING\",\"start-time\"", "\"CANCELED\",\"start-time\"");
    requests.clear();
    RestFlinkRunner resumed = RestFlinkRunner.resume(cluster, job, Duration.ofSeconds(10));
    assertEquals(JOB, resumed.jobId()); // the fake answers every run with the same id
    Object run = Json.parse(bodies.get("POST /jars/1234_job.jar/run"));
    assertEquals("file:/shared/checkpoints/dvf_00/" + JOB + "/chk-3", Json.get(run, "savepointPath"));
    assertEquals(Boolean.FALSE, Json.get(run, "allowNonRestoredState"));

    // DROP of a view whose job another engine left running: found by name, cancelled; one the cluster lists but no
    // longer knows (404) is gone already
    overview = "{\"jobs\":[{\"jid\":\"" + JOB + "\",\"name\":" + Json.quote(NAME) + ",\"state\":\"RUNNING\"},"
        + "{\"jid\":\"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\",\"name\":" + Json.quote(NAME) + ",\"state\":\"RUNNING\"}]}";
    jobState = "RUNNING";
    requests.clear();
    RestFlinkRunner.cancelAll(cluster, NAME);
    assertTrue(requests.contains("PATCH /jobs/" + JOB + "?mode=cancel"), requests.toString());
    assertTrue(requests.contains("GET /jobs/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"), requests.toString());
    assertEquals("CANCELED", jobState);
  }

  @Test
  void theClusterComesFromSystemPropertiesAndBadValuesAreRefused() throws Exception {
    try {
      System.clearProperty("deltaview.flink.rest");
      assertNull(FlinkCluster.fromSystemProperties("dvf_00"));
      System.setProperty("deltaview.flink.rest", "http://jobmanager:8081/");
      assertEquals("22023", assertThrows(SQLException.class, () -> FlinkCluster.fromSystemProperties("dvf_00"))
          .getSQLState(), "no checkpoint directory");
      System.setProperty("deltaview.flink.checkpointDir", "s3://bucket/views");
      FlinkCluster c = FlinkCluster.fromSystemProperties("dvf_00");
      assertEquals(URI.create("http://jobmanager:8081"), c.rest());
      assertEquals("s3://bucket/views/dvf_00", c.checkpointDirectory());
      assertEquals(FlinkCluster.DEFAULT_PASSWORD_VARIABLE, c.passwordVariable());
      System.setProperty("deltaview.flink.passwordEnv", "PG PASSWORD");
      assertEquals("22023", assertThrows(SQLException.class, () -> FlinkCluster.fromSystemProperties("dvf_00"))
          .getSQLState(), "not a variable's name");
      System.clearProperty("deltaview.flink.passwordEnv");
      System.setProperty("deltaview.flink.rest", "jobmanager:8081");
      assertEquals("22023", assertThrows(SQLException.class, () -> FlinkCluster.fromSystemProperties("dvf_00"))
          .getSQLState(), "not http");
    } finally {
      System.clearProperty("deltaview.flink.rest");
      System.clearProperty("deltaview.flink.checkpointDir");
      System.clearProperty("deltaview.flink.passwordEnv");
    }
  }

  @Test
  void jsonStringsRoundTripWithEveryCharacterEscapedThatMustBe() {
    String tricky = "a\"b\\c\nd\re\tf\u0001g\u2028h é 😀 </script>";
    assertEquals(tricky, Json.parse(Json.quote(tricky)));
    Object doc = Json.parse(" {\"a\": [1, -2.5e3, true, false, null, {\"b\": \"\\u00e9\\/\"}], \"c\": {}} ");
    assertEquals(new java.math.BigDecimal("-2.5e3"), ((List<?>) Json.get(doc, "a")).get(1));
    assertEquals("é/", Json.get(((List<?>) Json.get(doc, "a")).get(5), "b"));
    assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\": 1} x"));
    assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\": "));
  }
}
