package io.deltaview.it.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.it.DeltaviewDatabase;
import io.deltaview.it.EngineChild;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * An engine JVM with a 256 MB heap maintains a join whose state needs several times that: the state moves to
 * disk past the memory budget, and the view stays exact through random transactions; after a kill -9 it resumes
 * from a checkpoint of that state, in the same small heap. Minutes of loading: with {@code -Pfull} only.
 */
@Tag("full-scale")
class SpillTest {

  private static final long SEED = Long.getLong("deltaview.seed", 4242L);
  private static final int ROWS = Integer.getInteger("deltaview.spill.rows", 1_300_000);
  private static final int PAD = 224;
  /** A self-join that keeps both sides' text in its state (the residual reads it), grouped down to 100 rows. */
  private static final String QUERY = "SELECT a.id % 100 AS g, count(*) AS n, sum(b.v) AS s FROM sp_big a"
      + " JOIN sp_big b ON b.id = a.id AND b.pad >= a.pad GROUP BY a.id % 100";

  /** A checkpoint every 2 s, so that one of the spilled state is taken while the test runs. */
  private static final List<String> OPTIONS = List.of("-Xmx256m", "-XX:+UseSerialGC", "-Ddeltaview.engine.memory=64m",
      "-Ddeltaview.checkpointMillis=2000");

  /**
   * Then, the state on disk has checkpoints too, written from snapshots of the store: after a kill -9, a new
   * engine JVM with the same small heap resumes from the checkpoint (read part by part, never whole in the
   * heap) without reading the base table, and the view stays exact.
   */
  @Test
  void aJoinWhoseStateIsSeveralTimesTheHeapStaysExactOnDiskAndResumesFromItsCheckpoint() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("spill");
    Random random = new Random(SEED);
    try (Connection c = db.plain()) {
      DeltaviewDatabase.exec(c, "CREATE TABLE sp_big (id int PRIMARY KEY, v int NOT NULL, pad text NOT NULL)");
      DeltaviewDatabase.exec(c, "INSERT INTO sp_big SELECT g, g % 1000, left(repeat(md5(g::text), 7), " + PAD + ")"
          + " FROM generate_series(1, " + ROWS + ") g");
      try (EngineChild child = new EngineChild(db, OPTIONS)) {
        child.execute("CREATE INCREMENTAL VIEW sp_groups AS " + QUERY);
        DeltaviewDatabase.await("the view to equal its query after the load", Duration.ofSeconds(120),
            () -> DeltaviewDatabase.difference(c, "sp_groups", QUERY));
        Map<String, Long> stats = child.stats();
        assertTrue(stats.get("spilledArrangements") >= 1, "the join's state moved to disk: " + stats);
        // Each side holds every row, at least: its text (the characters, a String and its array: 40 bytes), the
        // row's object and array (32) and two boxed numbers (32).
        long inHeap = 2L * ROWS * (PAD + 104);
        assertTrue(inHeap > 3 * stats.get("heapMax"), "the state would need " + (inHeap >> 20) + " MB: " + stats);

        for (int tx = 0; tx < 12; tx++) {
          int id = 1 + random.nextInt(ROWS - 1000);
          switch (tx % 4) {
            case 0 -> DeltaviewDatabase.exec(c, "UPDATE sp_big SET v = v + " + random.nextInt(50)
                + " WHERE id BETWEEN " + id + " AND " + (id + random.nextInt(500)));
            case 1 -> DeltaviewDatabase.exec(c, "DELETE FROM sp_big WHERE id BETWEEN " + id + " AND "
                + (id + random.nextInt(300)));
            case 2 -> DeltaviewDatabase.exec(c, "INSERT INTO sp_big SELECT g, g % 7, md5(g::text) FROM"
                + " generate_series(" + (ROWS + tx * 1000) + ", " + (ROWS + tx * 1000 + random.nextInt(900)) + ") g");
            default -> DeltaviewDatabase.exec(c, "UPDATE sp_big SET pad = md5(pad), id = -id WHERE id BETWEEN "
                + id + " AND " + (id + random.nextInt(200)));
          }
        }
        DeltaviewDatabase.await("the view to equal its query", Duration.ofSeconds(120),
            () -> DeltaviewDatabase.difference(c, "sp_groups", QUERY));
        assertEquals("ready", child.rows("SELECT status FROM deltaview.views WHERE view_name = 'sp_groups'")
            .get(0).get(0));
        assertTrue(child.alive(), "the engine JVM survived");

        DeltaviewDatabase.await("a checkpoint of the spilled state", Duration.ofSeconds(120),
            () -> child.stats().get("checkpointsWritten") >= 1 ? null : "none yet: " + child.stats());
        child.kill();
      }
      DeltaviewDatabase.exec(c, "UPDATE sp_big SET v = v + 1 WHERE id % 97 = 0"); // while no engine runs
      try (EngineChild child = new EngineChild(db, OPTIONS)) {
        DeltaviewDatabase.await("the restarted engine to maintain the view", Duration.ofSeconds(120),
            () -> child.stats().isEmpty() ? "no engine yet" : null);
        DeltaviewDatabase.await("the view to equal its query after the restart", Duration.ofSeconds(120),
            () -> DeltaviewDatabase.difference(c, "sp_groups", QUERY));
        Map<String, Long> stats = child.stats();
        assertEquals(0L, stats.get("snapshotReads"), "resumed without reading the base table: " + stats);
        assertEquals(1L, stats.get("checkpointResumes"), stats.toString());
        assertTrue(stats.get("spilledArrangements") >= 1, "the restored state moved to disk again: " + stats);
        DeltaviewDatabase.exec(c, "DELETE FROM sp_big WHERE id % 89 = 0");
        DeltaviewDatabase.await("the view to equal its query after a change", Duration.ofSeconds(120),
            () -> DeltaviewDatabase.difference(c, "sp_groups", QUERY));
        assertTrue(child.alive(), "the restarted engine JVM survived");
      }
    }
  }
}
