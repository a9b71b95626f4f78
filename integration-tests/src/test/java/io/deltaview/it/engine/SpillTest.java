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
import org.junit.jupiter.api.Test;

/**
 * An engine JVM with a 256 MB heap maintains a join whose state needs several times that: the state moves to
 * disk past the memory budget, and the view stays exact through random transactions.
 */
class SpillTest {

  private static final long SEED = Long.getLong("deltaview.seed", 4242L);
  private static final int ROWS = Integer.getInteger("deltaview.spill.rows", 1_300_000);
  private static final int PAD = 224;
  /** A self-join that keeps both sides' text in its state (the residual reads it), grouped down to 100 rows. */
  private static final String QUERY = "SELECT a.id % 100 AS g, count(*) AS n, sum(b.v) AS s FROM sp_big a"
      + " JOIN sp_big b ON b.id = a.id AND b.pad >= a.pad GROUP BY a.id % 100";

  @Test
  void aJoinWhoseStateIsSeveralTimesTheHeapStaysExactOnDisk() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("spill");
    Random random = new Random(SEED);
    try (Connection c = db.plain()) {
      DeltaviewDatabase.exec(c, "CREATE TABLE sp_big (id int PRIMARY KEY, v int NOT NULL, pad text NOT NULL)");
      DeltaviewDatabase.exec(c, "INSERT INTO sp_big SELECT g, g % 1000, left(repeat(md5(g::text), 7), " + PAD + ")"
          + " FROM generate_series(1, " + ROWS + ") g");
      try (EngineChild child = new EngineChild(db, List.of("-Xmx256m", "-XX:+UseSerialGC",
          "-Ddeltaview.engine.memory=64m"))) {
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
      }
    }
  }
}
