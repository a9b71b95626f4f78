package io.deltaview.flink;

import io.deltaview.flink.job.JobSpec;
import io.deltaview.sql.SqlStates;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Runs one view's Flink job on a Flink cluster through its REST API ({@code deltaview.flink.rest=http://host:port}),
 * with nothing but {@code java.net.http}: no Flink class on this side. It uploads the shaded job jar once per
 * content ({@code POST /jars/upload}), runs {@code FlinkClusterJobMain} from it with the job as a program argument
 * ({@code POST /jars/{id}/run}, from a checkpoint when resuming), follows the job by its id ({@code GET /jobs/{id}},
 * {@code /exceptions} for why it failed) and cancels it ({@code PATCH /jobs/{id}?mode=cancel}).
 *
 * <p>The job is named after the view's replication name, so a view's job is found again by name ({@code GET
 * /jobs/overview}) and no job id is stored anywhere. The database password is never sent: the job reads it on the
 * cluster from the environment variable {@link FlinkCluster#passwordVariable} names. The job lives in the cluster:
 * {@link #close} lets go of it and leaves it running; {@link #cancel} stops it.
 */
public final class RestFlinkRunner implements FlinkJobRunner {

  private static final System.Logger LOG = System.getLogger(RestFlinkRunner.class.getName());
  static final String ENTRY_CLASS = "io.deltaview.flink.job.FlinkClusterJobMain";

  /** Job states in which the job runs or will run again by itself (a restart from its last checkpoint). */
  private static final Set<String> ACTIVE = Set.of("INITIALIZING", "CREATED", "RUNNING", "RESTARTING", "RECONCILING");
  private static final Set<String> TERMINAL = Set.of("FAILED", "CANCELED", "FINISHED", "SUSPENDED");
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration UPLOAD_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration CANCEL_TIMEOUT = Duration.ofMinutes(1);
  private static final long POLL_MILLIS = 200;

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  /** Sees every request this class sends (its method, address and body; a jar's bytes as a placeholder): tests. */
  static volatile Consumer<String> traffic;

  private final FlinkCluster cluster;
  private final String jobId;
  private final String jobName;

  private RestFlinkRunner(FlinkCluster cluster, String jobId, String jobName) {
    this.cluster = cluster;
    this.jobId = jobId;
    this.jobName = jobName;
  }

  /**
   * Submits {@code job} to {@code cluster} (from {@code savepoint}, a checkpoint's path, if not null) and returns
   * once Flink runs it.
   *
   * @throws SQLException {@code 55000} if a job of the same name runs there already; {@code XX000} if the cluster
   *     refuses the jar or the job, or the job fails (with Flink's reason); {@code 57014} if it does not run within
   *     {@code timeout} (it is then cancelled)
   */
  static RestFlinkRunner submit(FlinkCluster cluster, JobSpec job, String savepoint, Duration timeout)
      throws SQLException {
    JobEntry running = newest(cluster, job.jobName(), true);
    if (running != null) {
      throw new SQLException("Flink job " + running.id + " named " + job.jobName() + " already runs on the cluster at "
          + cluster.rest() + "; cancel it first", SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
    }
    String jar = uploadedJar(cluster);
    String argument;
    try {
      argument = job.toArgument();
    } catch (IOException e) {
      throw new SQLException("cannot encode the Flink job: " + e.getMessage(), SqlStates.INTERNAL_ERROR, e);
    }
    StringBuilder body = new StringBuilder("{\"entryClass\":").append(Json.quote(ENTRY_CLASS))
        .append(",\"programArgsList\":[\"--job\",").append(Json.quote(argument))
        .append(",\"--password-env\",").append(Json.quote(cluster.passwordVariable())).append(']');
    if (savepoint != null) {
      body.append(",\"savepointPath\":").append(Json.quote(savepoint)).append(",\"allowNonRestoredState\":false");
    }
    body.append('}');
    Object answer = send(cluster, "POST", "/jars/" + jar + "/run", body.toString(), REQUEST_TIMEOUT);
    String id = jobId(Json.get(answer, "jobid"));
    RestFlinkRunner runner = new RestFlinkRunner(cluster, id, job.jobName());
    runner.awaitRunning(timeout);
    LOG.log(System.Logger.Level.INFO, "Flink job " + id + " (" + job.jobName() + ") running on " + cluster.rest()
        + (savepoint == null ? "" : " from " + savepoint));
    return runner;
  }

  /**
   * The view's job on {@code cluster} again: the one named {@code job.jobName()} if it runs (an engine that closed
   * left it running), else {@code job} submitted anew from the newest retained checkpoint of the latest job of
   * that name that has one (a cancelled or failed job's), or, where the cluster no longer knows such a job and the
   * checkpoint directory is a {@code file:} URI this process can read too, the newest checkpoint in it.
   *
   * @throws SQLException {@code 55000} if there is no checkpoint to resume from; as {@link #submit}
   */
  static RestFlinkRunner resume(FlinkCluster cluster, JobSpec job, Duration timeout) throws SQLException {
    List<JobEntry> jobs = named(cluster, job.jobName());
    for (JobEntry e : jobs) {
      if (ACTIVE.contains(e.state)) {
        LOG.log(System.Logger.Level.INFO, "Flink job " + e.id + " (" + job.jobName() + ") still runs on "
            + cluster.rest() + ": attached");
        return new RestFlinkRunner(cluster, e.id, job.jobName());
      }
    }
    String checkpoint = null;
    for (JobEntry e : jobs) {
      try {
        checkpoint = new RestFlinkRunner(cluster, e.id, job.jobName()).latestCheckpoint();
      } catch (SQLException unknown) {
        // a job that failed before it had checkpoint statistics: look at the one before it
        LOG.log(System.Logger.Level.INFO, "no checkpoints of Flink job " + e.id + ": " + unknown.getMessage());
      }
      if (checkpoint != null) {
        break;
      }
    }
    if (checkpoint == null && cluster.checkpointDirectory().startsWith("file:")) {
      Path newest = FlinkViews.newestCheckpoint(Path.of(URI.create(cluster.checkpointDirectory())));
      checkpoint = newest == null ? null : newest.toUri().toString();
    }
    if (checkpoint == null) {
      throw new SQLException("Flink job " + job.jobName() + " has no retained checkpoint on the cluster at "
          + cluster.rest() + " or under " + cluster.checkpointDirectory() + " to resume from",
          SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
    }
    return submit(cluster, job, checkpoint, timeout);
  }

  /**
   * Cancels every running job named {@code jobName} on {@code cluster} (the job of a view dropped while this process
   * does not hold it) and waits until none runs.
   */
  static void cancelAll(FlinkCluster cluster, String jobName) throws SQLException {
    for (JobEntry e : named(cluster, jobName)) {
      if (ACTIVE.contains(e.state)) {
        new RestFlinkRunner(cluster, e.id, jobName).cancel();
      }
    }
  }

  @Override
  public String jobId() {
    return jobId;
  }

  /** The job's state on the cluster, asked each time (a cluster that does not answer: not running). */
  @Override
  public boolean isRunning() {
    try {
      return ACTIVE.contains(state());
    } catch (SQLException e) {
      return false;
    }
  }

  @Override
  public String failure() {
    String state;
    try {
      state = state();
    } catch (SQLException e) {
      return e.getMessage();
    }
    if (ACTIVE.contains(state)) {
      return null;
    }
    if (!state.equals("FAILED")) {
      return "Flink job " + jobId + " is " + state + " on the cluster at " + cluster.rest();
    }
    try {
      return "Flink job " + jobId + " failed: " + rootCause();
    } catch (SQLException e) {
      return "Flink job " + jobId + " failed (its exceptions could not be read: " + e.getMessage() + ")";
    }
  }

  @Override
  public String describe() {
    return "Flink job " + jobId + " on the Flink cluster at " + cluster.rest();
  }

  /** Lets go of the job, which keeps running on the cluster: {@link #resume} finds it again by its name. */
  @Override
  public void close() {
    LOG.log(System.Logger.Level.INFO, "Flink job " + jobId + " (" + jobName + ") left running on " + cluster.rest());
  }

  /**
   * Cancels the job (its checkpoints are retained) and waits, at most a minute, until it no longer runs; a job the
   * cluster no longer knows (it restarted) is gone already.
   */
  @Override
  public void cancel() throws SQLException {
    String state = stateOrGone();
    if (!TERMINAL.contains(state)) {
      send(cluster, "PATCH", "/jobs/" + jobId + "?mode=cancel", null, REQUEST_TIMEOUT);
    }
    long deadline = System.nanoTime() + CANCEL_TIMEOUT.toNanos();
    while (!TERMINAL.contains(state = stateOrGone())) {
      if (System.nanoTime() > deadline) {
        throw new SQLException("Flink job " + jobId + " on " + cluster.rest() + " is still " + state + " "
            + CANCEL_TIMEOUT.toSeconds() + " s after it was cancelled", SqlStates.QUERY_CANCELED);
      }
      pause();
    }
  }

  /**
   * The largest {@code currentFetchEventTimeLag} over the job's source vertices, aggregated over their subtasks by
   * the cluster ({@code /jobs/<id>/vertices/<vertex>/subtasks/metrics}, where operator metrics carry the
   * operator's name in front); null where the cluster has none yet or does not answer.
   */
  @Override
  public Long lagMs() {
    try {
      long max = -1;
      if (!(Json.get(send(cluster, "GET", "/jobs/" + jobId, null, REQUEST_TIMEOUT), "vertices")
          instanceof List<?> vertices)) {
        return null;
      }
      for (Object vertex : vertices) {
        if (!(Json.get(vertex, "name") instanceof String name) || !name.startsWith("Source")
            || !(Json.get(vertex, "id") instanceof String id)) {
          continue;
        }
        String metrics = "/jobs/" + jobId + "/vertices/" + id + "/subtasks/metrics";
        List<String> lags = new ArrayList<>();
        if (send(cluster, "GET", metrics, null, REQUEST_TIMEOUT) instanceof List<?> available) {
          for (Object m : available) {
            if (Json.get(m, "id") instanceof String metric && metric.endsWith(".currentFetchEventTimeLag")) {
              lags.add(metric);
            }
          }
        }
        if (lags.isEmpty()) {
          continue;
        }
        Object values = send(cluster, "GET", metrics + "?agg=max&get="
            + java.net.URLEncoder.encode(String.join(",", lags), StandardCharsets.UTF_8), null, REQUEST_TIMEOUT);
        if (values instanceof List<?> list) {
          for (Object v : list) {
            max = Math.max(max, metric(Json.get(v, "max")));
          }
        }
      }
      return max > 0 ? max : null;
    } catch (SQLException | RuntimeException e) {
      return null;
    }
  }

  @Override
  public long restarts() {
    try {
      // one entry, {"id": "numRestarts", "value": "<n>"}, once the job has the metric
      if (send(cluster, "GET", "/jobs/" + jobId + "/metrics?get=numRestarts", null, REQUEST_TIMEOUT)
          instanceof List<?> values && !values.isEmpty()) {
        return Math.max(0, metric(Json.get(values.get(0), "value")));
      }
      return 0;
    } catch (SQLException | RuntimeException e) {
      return 0;
    }
  }

  /** A metric's value as the REST API gives it (a number, or a number as text); -1 for anything else. */
  private static long metric(Object value) {
    if (value instanceof Number n) {
      return n.longValue();
    }
    if (value instanceof String s) {
      return (long) Double.parseDouble(s);
    }
    return -1;
  }

  @Override
  public long newestCheckpoint() throws SQLException {
    Object id = Json.get(send(cluster, "GET", "/jobs/" + jobId + "/checkpoints", null, REQUEST_TIMEOUT),
        "latest", "completed", "id");
    return id instanceof Number n ? n.longValue() : 0;
  }

  /** The newest retained checkpoint of this job, or null. */
  String latestCheckpoint() throws SQLException {
    Object path = Json.get(send(cluster, "GET", "/jobs/" + jobId + "/checkpoints", null, REQUEST_TIMEOUT),
        "latest", "completed", "external_path");
    return path instanceof String s && !s.isEmpty() ? s : null;
  }

  /** {@link #state}, or {@code FINISHED} for a job the cluster does not know (HTTP 404). */
  private String stateOrGone() throws SQLException {
    try {
      return state();
    } catch (SQLException e) {
      if (SqlStates.UNDEFINED_OBJECT.equals(e.getSQLState())) {
        return "FINISHED";
      }
      throw e;
    }
  }

  private String state() throws SQLException {
    Object state = Json.get(send(cluster, "GET", "/jobs/" + jobId, null, REQUEST_TIMEOUT), "state");
    if (!(state instanceof String s)) {
      throw new SQLException("the Flink cluster at " + cluster.rest() + " answered no state for job " + jobId,
          SqlStates.INTERNAL_ERROR);
    }
    return s;
  }

  private void awaitRunning(Duration timeout) throws SQLException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String state;
    while (!(state = state()).equals("RUNNING")) {
      if (TERMINAL.contains(state)) {
        throw new SQLException("Flink did not run the view's job: " + failure(), SqlStates.INTERNAL_ERROR);
      }
      if (System.nanoTime() > deadline) {
        try {
          cancel();
        } catch (SQLException e) {
          LOG.log(System.Logger.Level.WARNING, "cancelling Flink job " + jobId + " failed: " + e.getMessage());
        }
        throw new SQLException("Flink job " + jobId + " was " + state + ", not running, after " + timeout.toSeconds()
            + " s on " + cluster.rest(), SqlStates.QUERY_CANCELED);
      }
      pause();
    }
  }

  /** The first line of the newest failure's root cause, as the cluster reports it. */
  private String rootCause() throws SQLException {
    Object answer = send(cluster, "GET", "/jobs/" + jobId + "/exceptions?maxExceptions=1", null, REQUEST_TIMEOUT);
    Object trace = Json.get(answer, "root-exception");
    if (!(trace instanceof String) && Json.get(answer, "exceptionHistory", "entries") instanceof List<?> l
        && !l.isEmpty()) {
      trace = Json.get(l.get(0), "stacktrace");
    }
    return trace instanceof String s ? summary(s) : "(no exception reported)";
  }

  /** A job on the cluster as {@code /jobs/overview} lists it. */
  private record JobEntry(String id, String name, String state, BigDecimal startTime) {
  }

  /** The jobs named {@code name} on {@code cluster}, the newest first. */
  private static List<JobEntry> named(FlinkCluster cluster, String name) throws SQLException {
    Object jobs = Json.get(send(cluster, "GET", "/jobs/overview", null, REQUEST_TIMEOUT), "jobs");
    List<JobEntry> out = new ArrayList<>();
    if (jobs instanceof List<?> list) {
      for (Object j : list) {
        if (name.equals(Json.get(j, "name")) && Json.get(j, "state") instanceof String state) {
          Object start = Json.get(j, "start-time");
          out.add(new JobEntry(jobId(Json.get(j, "jid")), name, state,
              start instanceof BigDecimal b ? b : BigDecimal.ZERO));
        }
      }
    }
    out.sort(Comparator.comparing(JobEntry::startTime).reversed());
    return out;
  }

  private static JobEntry newest(FlinkCluster cluster, String name, boolean active) throws SQLException {
    return named(cluster, name).stream().filter(e -> !active || ACTIVE.contains(e.state)).findFirst().orElse(null);
  }

  /**
   * The id of the shaded job jar on the cluster: uploaded under a name with its content's hash, so the same jar is
   * uploaded once and found again ({@code GET /jars}) by every view and engine after.
   */
  private static String uploadedJar(FlinkCluster cluster) throws SQLException {
    Path jar = cluster.jar();
    String name = "deltaview-flink-job-" + hash(jar) + ".jar";
    Object files = Json.get(send(cluster, "GET", "/jars", null, REQUEST_TIMEOUT), "files");
    if (files instanceof List<?> list) {
      for (Object f : list) {
        if (name.equals(Json.get(f, "name")) && Json.get(f, "id") instanceof String id) {
          return jarId(id);
        }
      }
    }
    String boundary = "deltaview-" + UUID.randomUUID();
    String head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\"" + name
        + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n";
    String tail = "\r\n--" + boundary + "--\r\n";
    HttpRequest.BodyPublisher body;
    try {
      body = HttpRequest.BodyPublishers.concat(HttpRequest.BodyPublishers.ofString(head),
          HttpRequest.BodyPublishers.ofFile(jar), HttpRequest.BodyPublishers.ofString(tail));
    } catch (IOException e) {
      throw new SQLException("cannot read the Flink job jar " + jar + ": " + e.getMessage(), SqlStates.INTERNAL_ERROR,
          e);
    }
    HttpRequest request = HttpRequest.newBuilder(uri(cluster, "/jars/upload")).timeout(UPLOAD_TIMEOUT)
        .header("Content-Type", "multipart/form-data; boundary=" + boundary).POST(body).build();
    Object answer = exchange(cluster, request, head + "<" + name + ">" + tail);
    if (!(Json.get(answer, "filename") instanceof String uploaded)) {
      throw new SQLException("the Flink cluster at " + cluster.rest() + " did not say where it keeps the uploaded jar",
          SqlStates.INTERNAL_ERROR);
    }
    String id = uploaded.substring(uploaded.lastIndexOf('/') + 1);
    LOG.log(System.Logger.Level.INFO, "uploaded " + jar + " to " + cluster.rest() + " as " + id);
    return jarId(id);
  }

  private static String hash(Path jar) throws SQLException {
    try (InputStream in = Files.newInputStream(jar)) {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 16];
      int n;
      while ((n = in.read(buffer)) > 0) {
        sha.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(sha.digest(), 0, 8);
    } catch (IOException e) {
      throw new SQLException("cannot read the Flink job jar " + jar + ": " + e.getMessage(), SqlStates.INTERNAL_ERROR,
          e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A jar id as the cluster named it, checked to be one path segment before it goes into an address. */
  private static String jarId(String id) throws SQLException {
    if (!id.matches("[A-Za-z0-9._-]+") || id.startsWith(".")) {
      throw new SQLException("the Flink cluster named the uploaded jar " + id + ", not a plain file name",
          SqlStates.INTERNAL_ERROR);
    }
    return id;
  }

  private static String jobId(Object id) throws SQLException {
    if (!(id instanceof String s) || !s.matches("[0-9a-f]{32}")) {
      throw new SQLException("the Flink cluster answered " + id + " where a job id belongs", SqlStates.INTERNAL_ERROR);
    }
    return s;
  }

  private static URI uri(FlinkCluster cluster, String path) {
    return URI.create(cluster.rest().toString() + path);
  }

  /** Sends a request with a JSON body (or none) and returns the JSON answer. */
  private static Object send(FlinkCluster cluster, String method, String path, String json, Duration timeout)
      throws SQLException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(cluster, path)).timeout(timeout);
    if (json == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8));
    }
    return exchange(cluster, b.build(), json == null ? "" : json);
  }

  private static Object exchange(FlinkCluster cluster, HttpRequest request, String recorded) throws SQLException {
    Consumer<String> observer = traffic;
    if (observer != null) {
      observer.accept(request.method() + " " + request.uri() + "\n" + recorded);
    }
    HttpResponse<String> response;
    try {
      response = HTTP.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new SQLException("the Flink cluster at " + cluster.rest() + " did not answer " + request.method() + " "
          + request.uri().getPath() + ": " + e, SqlStates.CONNECTION_FAILURE, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted while talking to the Flink cluster", SqlStates.QUERY_CANCELED, e);
    }
    Object answer;
    try {
      answer = response.body().isBlank() ? Map.of() : Json.parse(response.body());
    } catch (IllegalArgumentException e) {
      answer = Map.of();
    }
    if (response.statusCode() / 100 != 2) {
      StringBuilder why = new StringBuilder();
      if (Json.get(answer, "errors") instanceof List<?> errors) {
        for (Object e : errors) {
          if (e instanceof String s) {
            why.append(why.length() == 0 ? "" : "; ").append(summary(s));
          }
        }
      }
      throw new SQLException("the Flink cluster at " + cluster.rest() + " refused " + request.method() + " "
          + request.uri().getPath() + " (HTTP " + response.statusCode() + "): " + shorten(why.toString()),
          response.statusCode() == 404 ? SqlStates.UNDEFINED_OBJECT : SqlStates.INTERNAL_ERROR);
    }
    return answer;
  }

  /** A stack trace's first line and its innermost cause's, which together say what happened. */
  static String summary(String trace) {
    String[] lines = trace.strip().split("\r?\n");
    String cause = null;
    for (String l : lines) {
      if (l.startsWith("Caused by: ")) {
        cause = l.substring("Caused by: ".length());
      }
    }
    return shorten(cause == null ? lines[0] : lines[0] + " … " + cause);
  }

  private static String shorten(String s) {
    return s.length() <= 1000 ? s : s.substring(0, 1000) + "…";
  }

  private static void pause() throws SQLException {
    try {
      Thread.sleep(POLL_MILLIS); // the polling interval of a condition with a deadline, not a synchronisation
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted while waiting for the Flink cluster", SqlStates.QUERY_CANCELED, e);
    }
  }
}
