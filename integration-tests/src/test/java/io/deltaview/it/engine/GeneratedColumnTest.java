package io.deltaview.it.engine;

import static io.deltaview.it.DeltaviewDatabase.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.it.DeltaviewDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL does not replicate generated columns. A view over a table that has one is maintained as long as it
 * does not read it (the engine parses only the columns views read); a view that reads one is refused at CREATE
 * with 0A000 naming the column, leaving nothing behind.
 */
class GeneratedColumnTest {

  private static final String READS_PLAIN = "SELECT kind, count(*) AS n, sum(amount) AS total FROM items GROUP BY kind";

  @Test
  void aViewNotReadingTheGeneratedColumnIsMaintained() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("generated");
    long seed = 20261125L;
    Random random = new Random(seed);
    try (Connection plain = db.plain(); Connection dv = db.deltaview()) {
      exec(plain, "CREATE TABLE items (id int PRIMARY KEY, kind text NOT NULL, amount int NOT NULL,"
          + " doubled int GENERATED ALWAYS AS (amount * 2) STORED, note text)");
      exec(plain, "INSERT INTO items (id, kind, amount, note) SELECT g, 'k' || (g % 4), g % 10, 'n' FROM generate_series(1, 100) g");
      exec(dv, "CREATE INCREMENTAL VIEW item_totals AS " + READS_PLAIN);
      for (int t = 0; t < 60; t++) {
        int id = 1 + random.nextInt(150);
        switch (random.nextInt(4)) {
          case 0 -> exec(plain, "INSERT INTO items (id, kind, amount) VALUES (" + id + ", 'k" + random.nextInt(5) + "', "
              + random.nextInt(20) + ") ON CONFLICT (id) DO NOTHING");
          case 1 -> exec(plain, "UPDATE items SET amount = amount + " + random.nextInt(5) + " WHERE id = " + id);
          case 2 -> exec(plain, "UPDATE items SET note = 'changed " + t + "' WHERE id = " + id); // unread columns only
          default -> exec(plain, "DELETE FROM items WHERE id = " + id);
        }
      }
      DeltaviewDatabase.await("the view to equal its query (seed " + seed + ")", Duration.ofSeconds(60),
          () -> DeltaviewDatabase.difference(plain, "item_totals", READS_PLAIN));
      assertEquals("ready", DeltaviewDatabase.showColumn(dv, "public.item_totals", "status"));
      exec(dv, "DROP INCREMENTAL VIEW item_totals");
    }
  }

  @Test
  void aViewReadingTheGeneratedColumnIsRefusedNamingIt() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("generatedread");
    try (Connection plain = db.plain(); Connection dv = db.deltaview()) {
      exec(plain, "CREATE TABLE items (id int PRIMARY KEY, amount int NOT NULL,"
          + " doubled int GENERATED ALWAYS AS (amount * 2) STORED)");
      SQLException e = assertThrows(SQLException.class,
          () -> exec(dv, "CREATE INCREMENTAL VIEW doubled_total AS SELECT sum(doubled) AS s FROM items"));
      assertEquals("0A000", e.getSQLState(), e.getMessage());
      assertTrue(e.getMessage().contains("doubled"), e.getMessage());
      assertEquals(0, DeltaviewDatabase.scalarLong(plain, "SELECT count(*) FROM pg_class WHERE relname = 'doubled_total'"),
          "result table left behind");
    }
  }
}
