package io.deltaview.it.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.it.ChildJvms;
import io.deltaview.it.DeltaviewDatabase;
import io.deltaview.it.EngineChild;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The initial load in a small heap, and failures during it: a million-row join result loads in a JVM with a
 * 64 MB heap (its result is streamed to COPY, never held: the load used to need more than 160 MB for it, and now
 * needs 48 MB); a view whose operator state cannot fit fails alone, with {@code 53200} and one log line naming it,
 * before the JVM runs out of memory, while the other views load and stay maintained, and the loader goes on
 * loading; a view whose query fails on a row (division by zero) fails alone too.
 */
class LoadMemoryTest {

  /** A self-join whose operator state (300k rows of 200-character text, indexed twice) needs well over 64 MB. */
  static final String BIG_QUERY = "SELECT a.id, a.pad, b.pad AS pad2 FROM lm_big a JOIN lm_big b ON a.id = b.id";
  private static final String SMALL_QUERY = "SELECT g, count(*) AS n, sum(v) AS total FROM lm_small GROUP BY g";
  /** Two 20k-row tables joined many-to-many on 400 keys: little operator state, a 1,000,000-row result. */
  private static final String MANY_QUERY = "SELECT a.id AS a_id, b.id AS b_id, a.note FROM lm_a a JOIN lm_b b"
      + " ON a.k = b.k";

  @Test
  void aMillionRowJoinResultLoadsInASmallHeap() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("load_many");
    try (Connection c = db.plain()) {
      DeltaviewDatabase.exec(c, "CREATE TABLE lm_a (id int PRIMARY KEY, k int NOT NULL, note text NOT NULL)");
      DeltaviewDatabase.exec(c, "CREATE TABLE lm_b (id int PRIMARY KEY, k int NOT NULL)");
      DeltaviewDatabase.exec(c, "INSERT INTO lm_a SELECT g, g % 400, 'note ' || g FROM generate_series(1, 20000) g");
      DeltaviewDatabase.exec(c, "INSERT INTO lm_b SELECT g, g % 400 FROM generate_series(1, 20000) g");
    }
    ChildJvms.Finished run = child(db, "64m", "create", "lm_many", MANY_QUERY);
    assertTrue(run.inTime() && run.exitCode() == 0 && run.output().contains("CREATED lm_many"), run.report());
    try (Connection c = db.plain()) {
      assertEquals(1_000_000, DeltaviewDatabase.scalarLong(c, "SELECT count(*) FROM lm_many"));
      assertNull(DeltaviewDatabase.difference(c, "lm_many", MANY_QUERY));
    }
  }

  @Test
  @Tag("full-scale") // minutes of loading: with -Pfull only
  void aViewThatDoesNotFitFailsAloneAndTheOthersGoOn() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("load_oom");
    try (Connection c = db.plain()) {
      DeltaviewDatabase.exec(c, "CREATE TABLE lm_small (id int PRIMARY KEY, g int NOT NULL, v int NOT NULL)");
      DeltaviewDatabase.exec(c, "CREATE TABLE lm_big (id int PRIMARY KEY, pad text NOT NULL)");
      DeltaviewDatabase.exec(c, "INSERT INTO lm_small SELECT g, g % 13, g FROM generate_series(1, 1000) g");
      DeltaviewDatabase.exec(c, "INSERT INTO lm_big SELECT g, repeat(md5(g::text), 7) || g"
          + " FROM generate_series(1, 300000) g");
    }
    // Registered by a JVM with room to spare; the one with a small heap then starts over them (the restart
    // case, where views used to sit in "snapshotting" for good without a word).
    try (EngineChild roomy = new EngineChild(db)) {
      roomy.execute("CREATE INCREMENTAL VIEW lm_small_v AS " + SMALL_QUERY);
      roomy.execute("CREATE INCREMENTAL VIEW lm_big_v AS " + BIG_QUERY);
    }
    ChildJvms.Finished run = resumeInSmallHeap(db, "64m");
    String out = run.output();
    assertTrue(run.inTime() && run.exitCode() == 0, run.report());
    assertTrue(out.contains("VIEW public.lm_small_v ready null"), run.report());
    assertTrue(lineWith(out, "VIEW public.lm_big_v failed ").contains("out of memory"), run.report());
    assertEquals(1, occurrences(out, "loading view public.lm_big_v failed"), "logged once: " + run.report());
    assertTrue(out.contains("LIVE"), "the view that loaded is maintained: " + run.report());
    assertTrue(out.contains("CREATED lm_small_v2"), "the loader survived: " + run.report());
    assertTrue(lineWith(out, "BIG ").startsWith("BIG 53200 "), run.report());
    try (Connection c = db.plain()) {
      assertEquals("failed", DeltaviewDatabase.rows(c,
          "SELECT status FROM deltaview.views WHERE view_name = 'lm_big_v'").get(0).get(0));
      assertNull(DeltaviewDatabase.difference(c, "lm_small_v", SMALL_QUERY));
      assertNull(DeltaviewDatabase.difference(c, "lm_small_v2", SMALL_QUERY));
      assertEquals(0, DeltaviewDatabase.scalarLong(c, "SELECT count(*) FROM deltaview.views"
          + " WHERE view_name = 'lm_big_v2'"), "a failed CREATE leaves nothing behind");
      assertEquals(0, DeltaviewDatabase.scalarLong(c, "SELECT count(*) FROM pg_class WHERE relname = 'lm_big_v2'"));
    }
  }

  @Test
  void aViewWhoseLoadFailsFailsAloneAndTheOthersGoOn() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("load_fail");
    String ratios = "SELECT id, 100 / v AS r FROM lf_t";
    String wide = "SELECT id, w FROM lf_u WHERE w > 3";
    try (Connection c = db.plain()) {
      DeltaviewDatabase.exec(c, "CREATE TABLE lf_t (id int PRIMARY KEY, v int NOT NULL)");
      DeltaviewDatabase.exec(c, "CREATE TABLE lf_u (id int PRIMARY KEY, w int NOT NULL)");
      DeltaviewDatabase.exec(c, "INSERT INTO lf_t SELECT g, g FROM generate_series(1, 100) g");
      DeltaviewDatabase.exec(c, "INSERT INTO lf_u SELECT g, g % 10 FROM generate_series(1, 100) g");
    }
    try (EngineChild first = new EngineChild(db)) {
      first.execute("CREATE INCREMENTAL VIEW lf_ratios AS " + ratios);
      first.execute("CREATE INCREMENTAL VIEW lf_wide AS " + wide);
    }
    try (Connection c = db.plain()) {
      // While no engine runs: PostgreSQL itself would now fail the first view's query.
      DeltaviewDatabase.exec(c, "UPDATE lf_t SET v = 0 WHERE id = 5");
      DeltaviewDatabase.exec(c, "INSERT INTO lf_u SELECT g, g % 10 FROM generate_series(101, 200) g");
    }
    try (Connection dv = db.deltaview(); Statement s = dv.createStatement(); Connection c = db.plain()) {
      DeltaviewDatabase.await("lf_ratios failed, lf_wide ready", Duration.ofSeconds(90), () -> {
        String ratiosStatus = DeltaviewDatabase.showColumn(dv, "public.lf_ratios", "status");
        String wideStatus = DeltaviewDatabase.showColumn(dv, "public.lf_wide", "status");
        return "failed".equals(ratiosStatus) && "ready".equals(wideStatus) ? null : ratiosStatus + ", " + wideStatus;
      });
      String error = DeltaviewDatabase.showColumn(dv, "public.lf_ratios", "last_error");
      assertEquals("division by zero", error, "PostgreSQL's message");
      assertEquals("22012", DeltaviewDatabase.showColumn(dv, "public.lf_ratios", "last_error_sqlstate"));
      assertNull(DeltaviewDatabase.difference(c, "lf_wide", wide));
      DeltaviewDatabase.exec(c, "UPDATE lf_u SET w = w + 3 WHERE id % 3 = 0");
      DeltaviewDatabase.await("lf_wide maintained", Duration.ofSeconds(60),
          () -> DeltaviewDatabase.difference(c, "lf_wide", wide));
      s.execute("DROP INCREMENTAL VIEW lf_ratios");
      s.execute("DROP INCREMENTAL VIEW lf_wide");
    }
  }

  /**
   * Starts the engine in a child JVM with {@code heap} over the registered views, waits (watching the catalog)
   * until lm_big_v has failed, then lets the child check the rest.
   */
  private static ChildJvms.Finished resumeInSmallHeap(DeltaviewDatabase db, String heap) throws Exception {
    List<String> cmd = command(db, heap, "resume");
    Process child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    StringBuffer output = new StringBuffer();
    Thread pump = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(),
          StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          output.append(line).append('\n');
        }
      } catch (IOException ignored) {
        // the child is gone
      }
    }, "load-memory-child-output");
    pump.start();
    try (Connection c = db.plain()) {
      DeltaviewDatabase.await("lm_big_v failed", Duration.ofSeconds(180), () -> {
        if (!child.isAlive()) {
          throw new AssertionError("the child exited: " + output);
        }
        String status = DeltaviewDatabase.rows(c, "SELECT status FROM deltaview.views WHERE view_name = 'lm_big_v'")
            .get(0).get(0);
        return "failed".equals(status) && output.indexOf("READY") >= 0 ? null : status;
      });
      try (Writer in = new OutputStreamWriter(child.getOutputStream(), StandardCharsets.UTF_8)) {
        in.write("CHECK\n");
      }
    } finally {
      if (!child.waitFor(180, TimeUnit.SECONDS)) {
        child.destroyForcibly();
      }
      pump.join(10_000);
    }
    ChildJvms.Finished finished = new ChildJvms.Finished(cmd, true, child.exitValue(), output.toString());
    System.out.println(finished.report());
    return finished;
  }

  private static ChildJvms.Finished child(DeltaviewDatabase db, String heap, String... args) throws Exception {
    return ChildJvms.run(command(db, heap, args), 300);
  }

  private static List<String> command(DeltaviewDatabase db, String heap, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    cmd.add("-Xmx" + heap);
    cmd.add("-XX:+UseSerialGC");
    // a budget above the heap: no join state moves to disk, so a view that does not fit fails (SpillTest has
    // the same kind of view moving to disk instead)
    cmd.add("-Ddeltaview.engine.memory=1g");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(LoadMemoryChild.class.getName());
    cmd.add(args[0]);
    cmd.add(db.pgUrl);
    cmd.add(db.server.user());
    cmd.add(db.server.password());
    for (int i = 1; i < args.length; i++) {
      cmd.add(args[i]);
    }
    return cmd;
  }

  private static String lineWith(String output, String start) {
    for (String line : output.split("\n")) {
      if (line.startsWith(start)) {
        return line;
      }
    }
    return "";
  }

  private static int occurrences(String text, String part) {
    int n = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
      n++;
    }
    return n;
  }
}
