package io.deltaview.it.driver;

import static io.deltaview.it.DeltaviewDatabase.await;
import static io.deltaview.it.DeltaviewDatabase.difference;
import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.scalarLong;
import static io.deltaview.it.DeltaviewDatabase.showColumn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.DeltaviewDatabase;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code SHOW INCREMENTAL VIEWS} can be polled: its row counts are the engine's, kept from what it wrote, equal
 * to the result tables' after any sequence of changes and reloads, and asking reads no result table (it answers
 * while they are locked). Its
 * {@code staleness_ms} says how far behind a view is now, growing while the engine cannot apply and falling
 * back once it can.
 */
class ShowWithoutScansTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Map<String, String> VIEWS = Map.of(
      // a multiset (no key: +n inserts n copies), a grouped view (written by key) and a join
      "big_items", "SELECT kind, qty FROM items WHERE qty > 3",
      "qty_by_kind", "SELECT kind, sum(qty) AS total, count(*) AS n FROM items GROUP BY kind",
      "items_named", "SELECT i.id, k.label FROM items i JOIN kinds k ON k.kind = i.kind");

  @Test
  void rowCountsFollowRandomChangesWithoutScanningResultTables() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("showcounts");
    Random random = new Random(Long.getLong("deltaview.seed", 77L));
    try (Connection plain = db.plain(); Connection dv = db.deltaview()) {
      exec(plain, "CREATE TABLE kinds (kind int PRIMARY KEY, label text NOT NULL)");
      exec(plain, "INSERT INTO kinds SELECT g, 'kind ' || g FROM generate_series(0, 9) g");
      exec(plain, "CREATE TABLE items (id int PRIMARY KEY, kind int NOT NULL, qty int NOT NULL)");
      exec(plain, "INSERT INTO items SELECT g, g % 10, g % 7 FROM generate_series(1, 300) g");
      for (Map.Entry<String, String> v : VIEWS.entrySet()) {
        exec(dv, "CREATE INCREMENTAL VIEW " + v.getKey() + " AS " + v.getValue());
      }
      int nextId = 301;
      for (int round = 0; round < 12; round++) {
        for (int t = 0; t < 5; t++) {
          switch (random.nextInt(4)) {
            case 0 -> exec(plain, "INSERT INTO items SELECT g, " + random.nextInt(12) + ", " + random.nextInt(9)
                + " FROM generate_series(" + nextId + ", " + (nextId + random.nextInt(20)) + ") g");
            case 1 -> exec(plain, "DELETE FROM items WHERE id % " + (7 + random.nextInt(20)) + " = "
                + random.nextInt(7));
            case 2 -> exec(plain, "UPDATE items SET qty = qty + " + (random.nextInt(5) - 2) + " WHERE kind = "
                + random.nextInt(10));
            default -> exec(plain, "UPDATE items SET kind = " + random.nextInt(12) + " WHERE id % 13 = "
                + random.nextInt(13));
          }
          nextId += 21;
        }
        if (round == 6) {
          exec(plain, "TRUNCATE kinds"); // the join view is reloaded from a snapshot
          exec(plain, "INSERT INTO kinds SELECT g, 'label ' || g FROM generate_series(0, 11) g");
        }
        for (Map.Entry<String, String> v : VIEWS.entrySet()) {
          await(v.getKey() + " exact in round " + round, WAIT, () -> difference(plain, v.getKey(), v.getValue()));
          String name = "public." + v.getKey();
          long rows = scalarLong(plain, "SELECT count(*) FROM " + v.getKey());
          await(v.getKey() + "'s row_count in round " + round, WAIT,
              () -> String.valueOf(rows).equals(showColumn(dv, name, "row_count")) ? null
                  : "SHOW says " + showColumn(dv, name, "row_count") + ", the table has " + rows);
        }
      }

      // Asking scans no result table: SHOW answers while every result table is locked against any reader.
      long bigItems = scalarLong(plain, "SELECT count(*) FROM big_items");
      try (Connection locker = db.plain()) {
        locker.setAutoCommit(false);
        exec(locker, "LOCK TABLE big_items, qty_by_kind, items_named IN ACCESS EXCLUSIVE MODE");
        CompletableFuture<String> shown = CompletableFuture.supplyAsync(() -> {
          try {
            return showColumn(dv, "public.big_items", "row_count");
          } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
          }
        });
        assertEquals(String.valueOf(bigItems), shown.get(30, TimeUnit.SECONDS), "SHOW with the tables locked");
        locker.rollback();
      }
    } finally {
      EngineRegistry.stop(db.pgUrl);
    }
  }

  @Test
  void stalenessGrowsWhileTheEngineCannotApplyAndFallsBackAfter() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("showstale");
    try (Connection plain = db.plain(); Connection dv = db.deltaview(); Connection blocker = db.plain()) {
      exec(plain, "CREATE TABLE items (id int PRIMARY KEY, kind int NOT NULL, qty int NOT NULL)");
      exec(plain, "INSERT INTO items SELECT g, g % 10, g % 7 FROM generate_series(1, 100) g");
      exec(dv, "CREATE INCREMENTAL VIEW qty_by_kind AS " + VIEWS.get("qty_by_kind"));
      await("a staleness below 2 s on a quiet database", WAIT, () -> {
        String s = showColumn(dv, "public.qty_by_kind", "staleness_ms");
        return s != null && Long.parseLong(s) < 2_000 ? null : "staleness " + s;
      });
      // The engine cannot write the result table: the change waits, and the view falls behind.
      blocker.setAutoCommit(false);
      exec(blocker, "LOCK TABLE qty_by_kind IN EXCLUSIVE MODE");
      exec(plain, "UPDATE items SET qty = qty + 1 WHERE id = 1");
      await("the staleness to pass 3 s while the engine is blocked", WAIT, () -> {
        String s = showColumn(dv, "public.qty_by_kind", "staleness_ms");
        return s != null && Long.parseLong(s) > 3_000 ? null : "staleness " + s;
      });
      blocker.rollback();
      await("the view to be exact once unblocked", WAIT,
          () -> difference(plain, "qty_by_kind", VIEWS.get("qty_by_kind")));
      await("the staleness to fall below 2 s again", WAIT, () -> {
        String s = showColumn(dv, "public.qty_by_kind", "staleness_ms");
        return s != null && Long.parseLong(s) < 2_000 ? null : "staleness " + s;
      });
      assertTrue(showColumn(dv, "public.qty_by_kind", "lag_ms") != null);
    } finally {
      EngineRegistry.stop(db.pgUrl);
    }
  }

}
