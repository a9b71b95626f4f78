package io.deltaview.flink;

import static org.junit.jupiter.api.Assertions.assertFalse;

import io.deltaview.it.fixture.PostgresFixture;
import java.sql.Connection;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A Flink-maintained view survives its Flink JVM dying mid-stream: the job resumes from its last retained
 * checkpoint and replication slots, and the result table equals the view's query again, including the changes
 * committed while no job ran (a job started afresh would keep the rows of groups deleted meanwhile). Starts two
 * Flink JVMs, so it runs with {@code -Pflink-it} only.
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
        view.runner().kill();
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
}
