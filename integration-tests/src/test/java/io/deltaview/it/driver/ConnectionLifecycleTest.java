package io.deltaview.it.driver;

import io.deltaview.it.DeltaviewDatabase;
import static io.deltaview.it.DeltaviewDatabase.await;
import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.hits;
import static io.deltaview.it.DeltaviewDatabase.rows;
import static io.deltaview.it.DeltaviewDatabase.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.driver.DeltaviewDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

/** The JDBC surface of a Deltaview connection: unwrapping, the DataSource, metadata, and closing. */
class ConnectionLifecycleTest {

  static final String VIEW = "SELECT status, count(*) AS n FROM orders GROUP BY status";
  static DeltaviewDatabase db;

  @BeforeAll
  static void setUp() throws Exception {
    db = new DeltaviewDatabase("lifecycle").withShop(6);
    try (Connection dv = db.deltaview()) {
      exec(dv, "CREATE INCREMENTAL VIEW life_status AS " + VIEW);
    }
  }

  @Test
  void unwrapReachesPgjdbc() throws Exception {
    try (Connection dv = db.deltaview()) {
      assertTrue(dv.isWrapperFor(PGConnection.class));
      PGConnection pg = dv.unwrap(PGConnection.class);
      assertNotSame(dv, pg, "the pgjdbc connection, not the wrapper");
      assertEquals(scalarLong(dv, "SELECT pg_backend_pid()"), pg.getBackendPID(), "the same session");
      assertSame(dv, dv.unwrap(Connection.class), "the wrapper is itself a Connection");
    }
  }

  @Test
  void metadataGivesBackTheWrapper() throws Exception {
    try (Connection dv = db.deltaview()) {
      assertSame(dv, dv.getMetaData().getConnection());
      try (Statement s = dv.createStatement(); ResultSet rs = s.executeQuery(VIEW)) {
        assertSame(dv, rs.getStatement().getConnection());
      }
      try (PreparedStatement ps = dv.prepareStatement(VIEW)) {
        assertSame(dv, ps.getConnection());
      }
      try (Statement s = dv.createStatement(); ResultSet rs = s.executeQuery("SHOW INCREMENTAL VIEWS")) {
        assertSame(s, rs.getStatement(), "a command's result set belongs to the application's statement");
        assertSame(dv, rs.getStatement().getConnection());
      }
    }
  }

  @Test
  void dataSourceConnectionsAreDeltaviewConnections() throws Exception {
    DeltaviewDataSource ds = new DeltaviewDataSource();
    ds.setURL(db.deltaviewUrl);
    ds.setUser(db.server.user());
    ds.setPassword(db.server.password());
    try (Connection dv = ds.getConnection(); Connection plain = db.plain()) {
      long h0 = hits(dv, "public.life_status");
      assertEquals(rows(plain, VIEW + " ORDER BY status"), rows(dv, VIEW + " ORDER BY status"));
      assertEquals(h0 + 1, hits(dv, "public.life_status"), "served from the view");
      assertTrue(dv.isWrapperFor(PGConnection.class));
    }
  }

  @Test
  void closingReleasesTheServerConnection() throws Exception {
    try (Connection plain = db.plain(); Connection warm = db.deltaview()) {
      rows(warm, VIEW); // the engine and runtime exist before the baseline is taken
      long baseline = db.backends(plain);
      List<Integer> pids = new ArrayList<>();
      List<Connection> opened = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        Connection dv = db.deltaview();
        opened.add(dv);
        rows(dv, VIEW);
        pids.add(dv.unwrap(PGConnection.class).getBackendPID());
      }
      assertTrue(db.backends(plain) >= baseline + 5, "the five connections are counted");
      for (Connection dv : opened) {
        dv.close();
        assertTrue(dv.isClosed());
      }
      await("the closed connections' backends to exit", Duration.ofSeconds(20), () -> {
        try (PreparedStatement ps = plain.prepareStatement(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY (?)")) {
          ps.setArray(1, plain.createArrayOf("int4", pids.toArray()));
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1) == 0 ? null : rs.getLong(1) + " of " + pids + " still connected";
          }
        }
      });
      await("the backend count to return to its baseline", Duration.ofSeconds(20), () -> {
        long now = db.backends(plain);
        return now <= baseline ? null : now + " backends, baseline " + baseline;
      });
    }
  }
}
