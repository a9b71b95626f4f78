package io.deltaview.it.engine;

import static io.deltaview.it.DeltaviewDatabase.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.DeltaviewDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** While a view loads its snapshot, SHOW INCREMENTAL VIEWS tells how far it is, by PostgreSQL's row estimate. */
class SnapshotProgressTest {

  static final int ROWS = 1_000_000;
  static final Pattern PROGRESS = Pattern.compile("(\\d+)% \\((\\d+) of about (\\d+) rows\\).*");

  @Test
  void showTellsTheSnapshotProgressOfALoadingView() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("snapprogress");
    try (Connection plain = db.plain(); Connection dv = db.deltaview(); Connection watcher = db.deltaview()) {
      exec(plain, "CREATE TABLE events (id int PRIMARY KEY, kind int NOT NULL)");
      exec(plain, "INSERT INTO events SELECT g, g % 97 FROM generate_series(1, " + ROWS + ") g");
      exec(plain, "ANALYZE events");
      String definition = "SELECT kind, count(*) AS n FROM events GROUP BY kind";
      CompletableFuture<Void> create = CompletableFuture.runAsync(() -> {
        try {
          exec(dv, "CREATE INCREMENTAL VIEW event_kinds AS " + definition);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      String[] seen = new String[1];
      DeltaviewDatabase.await("SHOW to tell the progress of the load", Duration.ofSeconds(60), () -> {
        String progress = progressOf(watcher);
        if (progress != null) {
          // The first reports come before the estimate is read and before the first row: wait for one with both.
          Matcher started = PROGRESS.matcher(progress);
          if (started.matches() && Long.parseLong(started.group(2)) > 0) {
            seen[0] = progress;
            return null;
          }
        }
        return create.isDone() ? "the load ended before SHOW told any progress" : "no rows counted yet";
      });
      Matcher m = PROGRESS.matcher(seen[0]);
      assertTrue(m.matches(), seen[0]);
      long read = Long.parseLong(m.group(2));
      long estimated = Long.parseLong(m.group(3));
      assertTrue(read > 0 && read <= ROWS, seen[0]);
      assertTrue(estimated > ROWS / 2 && estimated < ROWS * 2, "ANALYZE's estimate: " + seen[0]);
      assertTrue(Integer.parseInt(m.group(1)) < 100, seen[0]);
      create.get(120, TimeUnit.SECONDS);
      assertNull(progressOf(watcher), "no progress once ready");
      assertNull(DeltaviewDatabase.difference(plain, "event_kinds", definition));
      exec(dv, "DROP INCREMENTAL VIEW event_kinds");
    } finally {
      EngineRegistry.stop(db.pgUrl);
    }
  }

  /** The progress SHOW gives for event_kinds while it is snapshotting; null otherwise. */
  private static String progressOf(Connection c) throws Exception {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW INCREMENTAL VIEWS")) {
      while (rs.next()) {
        if ("public.event_kinds".equals(rs.getString("name"))) {
          String progress = rs.getString("progress");
          if (progress != null) {
            assertEquals("snapshotting", rs.getString("status"));
          }
          return progress;
        }
      }
    }
    return null;
  }
}
