package io.deltaview.flink;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How a view's Flink job runs: its parallelism, how often it checkpoints (always exactly-once), its state backend
 * ({@code rocksdb} or {@code hashmap}), the directory its Flink JVM keeps checkpoints and its log in, and that JVM's
 * heap; or, with a {@code cluster}, on that Flink cluster, with checkpoints where the cluster says (the work
 * directory and the heap then unused).
 */
public record FlinkSettings(int parallelism, Duration checkpointInterval, String stateBackend, Path workDirectory,
    String heap, FlinkCluster cluster) {

  /** Settings of a job in a Flink JVM of its own. */
  public FlinkSettings(int parallelism, Duration checkpointInterval, String stateBackend, Path workDirectory,
      String heap) {
    this(parallelism, checkpointInterval, stateBackend, workDirectory, heap, null);
  }

  public FlinkSettings {
    if (parallelism < 1) {
      throw new IllegalArgumentException("parallelism must be at least 1, not " + parallelism);
    }
    Objects.requireNonNull(checkpointInterval, "checkpointInterval");
    if (!stateBackend.equals("rocksdb") && !stateBackend.equals("hashmap")) {
      throw new IllegalArgumentException("state backend rocksdb or hashmap, not " + stateBackend);
    }
    Objects.requireNonNull(workDirectory, "workDirectory");
    Objects.requireNonNull(heap, "heap");
  }

  /** Parallelism 1, a checkpoint a second, RocksDB, a 768 MB heap, in {@code workDirectory}. */
  public static FlinkSettings local(Path workDirectory) {
    return new FlinkSettings(1, Duration.ofSeconds(1), "rocksdb", workDirectory, "768m");
  }

  /** These settings with the job on {@code cluster} (null: in a Flink JVM of its own). */
  public FlinkSettings onCluster(FlinkCluster cluster) {
    return new FlinkSettings(parallelism, checkpointInterval, stateBackend, workDirectory, heap, cluster);
  }

  /** The Flink configuration of the job. */
  Map<String, String> flinkConfiguration() {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("parallelism.default", Integer.toString(parallelism));
    c.put("execution.checkpointing.interval", checkpointInterval.toMillis() + " ms");
    c.put("execution.checkpointing.mode", "EXACTLY_ONCE");
    c.put("state.backend.type", stateBackend);
    c.put("execution.checkpointing.dir", cluster != null ? cluster.checkpointDirectory()
        : workDirectory.resolve("checkpoints").toUri().toString());
    // kept when the job is cancelled (or its JVM dies), so that FlinkViews.resume can go on from them
    c.put("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
    c.put("execution.checkpointing.num-retained", "2");
    c.put("restart-strategy.type", "fixed-delay");
    c.put("restart-strategy.fixed-delay.attempts", "10");
    c.put("restart-strategy.fixed-delay.delay", "2 s");
    return c;
  }
}
