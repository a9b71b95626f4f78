package io.deltaview.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.EngineConfig;
import io.deltaview.engine.ddl.Requester;
import io.deltaview.engine.catalog.BackendViews;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.catalog.ViewState;
import io.deltaview.it.fixture.PostgresFixture;
import java.sql.Connection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import org.junit.jupiter.api.Test;

/**
 * A Flink-maintained view survives its Flink JVM dying mid-stream: the job resumes from its last retained
 * checkpoint and replication slots, and the result table equals the view's query again, including the changes
 * committed while no job ran (a job started afresh would keep the rows of groups deleted meanwhile); likewise the
 * views of an engine that closed, resumed by the next one. Each test starts two Flink JVMs, so they run with
 * {@code -Pflink-it} only.
 */
class FlinkRecoveryIT {

  @Test
  void aKilledJobResumesFromItsCheckpointAndTheViewIsExactAgain() throws Exception {
    ShopTables shop = new ShopTables();
    PostgresFixture pg = PostgresFixture.get();
    String url = pg.createDatabase("flink_recovery");
    try (Connection c = pg.connect(url)) {
      ShopTables.createTables(c);
      for (int i = 0; i < 200; i++) {
        shop.insertOrder(c);
      }
      FlinkDatabase db = FlinkDatabase.fromJdbcUrl(url, pg.user(), pg.password());
      FlinkSettings settings = FlinkSettings.local(FlinkViewsTest.workDirectory(shop));
      FlinkView view = FlinkViews.create(c, "public", "by_region", ShopTables.VIEW, db, settings);
      try {
        shop.awaitEqual(c, "by_region", Duration.ofMinutes(3), view);
        for (int t = 0; t < 30; t++) {
          shop.randomTransaction(c);
        }
        shop.awaitEqual(c, "by_region", Duration.ofMinutes(2), view);
        awaitCheckpointAfter(settings.workDirectory().resolve("checkpoints"), Instant.now());
        ((LocalFlinkRunner) view.runner()).kill();
        assertFalse(view.runner().isRunning());
        for (int t = 0; t < 30; t++) {
          shop.randomTransaction(c);
        }
        view = FlinkViews.resume(c, "public", "by_region", ShopTables.VIEW, db, settings);
        shop.awaitEqual(c, "by_region", Duration.ofMinutes(2), view);
        for (int t = 0; t < 20; t++) {
          shop.randomTransaction(c);
        }
        shop.awaitEqual(c, "by_region", Duration.ofMinutes(2), view);
      } finally {
        view.drop(c);
      }
      FlinkViewsTest.assertNothingLeft(c);
    }
  }

  /**
   * The engine stops while a view's job still loads its first snapshot: a job restored from a checkpoint inside it
   * would not be exact again, so the next engine does not resume it, and records it failed with why.
   */
  @Test
  void aViewWhoseFirstLoadWasInterruptedIsNotResumed() throws Exception {
    ShopTables shop = new ShopTables();
    PostgresFixture pg = PostgresFixture.get();
    String url = pg.createDatabase("flink_first_load");
    String database = FlinkDatabase.fromJdbcUrl(url, pg.user(), null).database();
    EngineConfig config = new EngineConfig(url, pg.credentials(), database);
    FlinkViewBackend backend = new FlinkViewBackend();
    System.setProperty("deltaview.flink.workDir", FlinkViewsTest.workDirectory(shop).toString());
    try (Connection c = pg.connect(url)) {
      ShopTables.createTables(c);
      for (int i = 0; i < 2000; i++) {
        shop.insertOrder(c);
      }
      ViewRecord record = ShopTables.recordByRegion(c, Requester.of(c));
      backend.create(config, Requester.of(c), record);
      try {
        // ready needs two checkpoints (a second apart) after every source streams: not yet
        assertEquals(ViewState.SNAPSHOTTING, BackendViews.find(c, "public", "by_region").view().status());
        backend.close(config);
        backend.resume(config);
        ShopTables.awaitRecorded(c, ViewState.FAILED);
        String why = BackendViews.find(c, "public", "by_region").view().lastError();
        assertTrue(why.startsWith(FlinkViewBackend.FIRST_LOAD_LOST), why);
        assertTrue(FlinkViewBackend.running().isEmpty(), "not resumed");
      } finally {
        backend.drop(config, record);
        BackendViews.delete(c, "public", "by_region");
      }
      FlinkViewsTest.assertNothingLeft(c);
    } finally {
      System.clearProperty("deltaview.flink.workDir");
    }
  }

  @Test
  void theViewsOfAClosedEngineAreResumedByTheNextOne() throws Exception {
    ShopTables shop = new ShopTables();
    PostgresFixture pg = PostgresFixture.get();
    String url = pg.createDatabase("flink_backend");
    String database = FlinkDatabase.fromJdbcUrl(url, pg.user(), null).database();
    EngineConfig config = new EngineConfig(url, pg.credentials(), database);
    FlinkViewBackend backend = new FlinkViewBackend();
    System.setProperty("deltaview.flink.workDir", FlinkViewsTest.workDirectory(shop).toString());
    try (Connection c = pg.connect(url)) {
      ShopTables.createTables(c);
      for (int i = 0; i < 200; i++) {
        shop.insertOrder(c);
      }
      Requester requester = Requester.of(c);
      ViewRecord record = ShopTables.recordByRegion(c, requester); // what the engine does before it asks
      backend.create(config, requester, record);
      try {
        FlinkView first = only(FlinkViewBackend.running());
        ShopTables.awaitRecorded(c, ViewState.READY);
        assertEquals(ShopTables.rows(c, ShopTables.VIEW + " ORDER BY 1, 2"),
            ShopTables.rows(c, "SELECT * FROM by_region ORDER BY 1, 2"),
            "recorded ready only once its first load is in the result table");
        shop.awaitEqual(c, "by_region", Duration.ofMinutes(3), first);
        for (int t = 0; t < 20; t++) {
          shop.randomTransaction(c);
        }
        shop.awaitEqual(c, "by_region", Duration.ofMinutes(2), first);
        awaitCheckpointAfter(FlinkViewsTest.workDirectory(shop).resolve(
            FlinkViews.replicationName(database, "public", "by_region")).resolve("checkpoints"), Instant.now());

        backend.close(config); // the engine stops: so does the job, resumably
        assertFalse(first.runner().isRunning());
        assertTrue(FlinkViewBackend.running().isEmpty());
        for (int t = 0; t < 30; t++) {
          shop.randomTransaction(c);
        }
        backend.resume(config); // what the next engine's start does, in the background
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (FlinkViewBackend.running().isEmpty()) {
          assertTrue(System.nanoTime() < deadline, "the view was not resumed within 3 minutes");
          Thread.sleep(200); // polling interval of the condition above, not a synchronisation
        }
        FlinkView resumed = only(FlinkViewBackend.running());
        shop.awaitEqual(c, "by_region", Duration.ofMinutes(2), resumed);
        ShopTables.awaitRecorded(c, ViewState.READY);
      } finally {
        backend.drop(config, record);
        assertTrue(BackendViews.delete(c, "public", "by_region"));
      }
      assertTrue(FlinkViewBackend.running().isEmpty());
      FlinkViewsTest.assertNothingLeft(c);
    } finally {
      System.clearProperty("deltaview.flink.workDir");
    }
  }

  /**
   * Waits (at most two minutes) for a checkpoint that completed after {@code after}: one taken while the job
   * streams, after its initial snapshot. A job restored from a checkpoint inside its initial snapshot is not
   * exact again (see docs/flink.md), so the tests stop jobs only past that point.
   */
  private static void awaitCheckpointAfter(Path checkpoints, Instant after) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (true) {
      Path newest = FlinkViews.newestCheckpoint(checkpoints);
      if (newest != null && Files.getLastModifiedTime(newest.resolve("_metadata")).toInstant().isAfter(after)) {
        return;
      }
      assertTrue(System.nanoTime() < deadline, "no checkpoint completed within 2 minutes under " + checkpoints);
      Thread.sleep(200); // polling interval of the condition above, not a synchronisation
    }
  }

  private static FlinkView only(Collection<FlinkView> views) {
    assertEquals(1, views.size(), views.toString());
    return views.iterator().next();
  }
}
