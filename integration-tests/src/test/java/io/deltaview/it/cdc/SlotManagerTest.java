package io.deltaview.it.cdc;

import static io.deltaview.it.cdc.CdcDatabase.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.cdc.ExportedSnapshot;
import io.deltaview.engine.cdc.ReplicationSlotReader;
import io.deltaview.engine.cdc.SlotManager;
import io.deltaview.it.fixture.PostgresFixture;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.replication.LogSequenceNumber;

/** Slot creation and dropping, and snapshots exported by temporary slots. */
class SlotManagerTest {

  private CdcDatabase db;

  @BeforeEach
  void setUp() throws SQLException {
    db = new CdcDatabase("cdc_slots");
    db.exec("CREATE TABLE item (id int PRIMARY KEY)", "CREATE PUBLICATION pub FOR ALL TABLES");
  }

  @AfterEach
  void tearDown() throws SQLException {
    db.close();
  }

  @Test
  void createIsIdempotentAndDropRetriesWhileTheSlotIsReleased() throws Exception {
    assertTrue(SlotManager.createSlotIfAbsent(db.sql, "dv_perm"));
    assertFalse(SlotManager.createSlotIfAbsent(db.sql, "dv_perm"));
    assertNotNull(SlotManager.confirmedFlushLsn(db.sql, "dv_perm"));

    // Dropping right after the reader stops meets "slot is active" (55006) for a moment; drop waits it out.
    ReplicationSlotReader reader = db.start(ReplicationSlotReader.Options.of("dv_perm", "pub"));
    reader.close();
    assertTrue(SlotManager.dropSlotIfExists(db.sql, "dv_perm"));
    assertFalse(SlotManager.dropSlotIfExists(db.sql, "dv_perm"));
    assertEquals(null, SlotManager.confirmedFlushLsn(db.sql, "dv_perm"));
  }

  @Test
  void existingSlotWithAnotherPluginIsRejected() throws Exception {
    db.exec("SELECT pg_create_logical_replication_slot('dv_other', 'test_decoding')");
    try {
      assertThrows(IllegalStateException.class, () -> SlotManager.createSlotIfAbsent(db.sql, "dv_other"));
    } finally {
      SlotManager.dropSlotIfExists(db.sql, "dv_other");
    }
  }

  @Test
  void invalidSlotNamesAreRejectedBeforeReachingTheServer() {
    assertThrows(IllegalArgumentException.class, () -> SlotManager.createSlotIfAbsent(db.sql, "Bad-Name"));
    assertThrows(IllegalArgumentException.class,
        () -> SlotManager.exportSnapshot(db.url, PostgresFixture.get().credentials(), "x; DROP TABLE item"));
  }

  @Test
  void exportedSnapshotSeesExactlyTheCommitsBeforeTheConsistentPoint() throws Exception {
    db.exec("INSERT INTO item VALUES (1)");
    LogSequenceNumber beforeExport = currentWalLsn();
    List<Integer> seen;
    LogSequenceNumber consistentPoint;
    try (ExportedSnapshot snapshot = SlotManager.exportSnapshot(db.url, PostgresFixture.get().credentials(), "dv_tmp")) {
      consistentPoint = snapshot.consistentPoint();
      assertEquals("dv_tmp", snapshot.slotName());
      assertTrue(consistentPoint.asLong() >= beforeExport.asLong(), "commit 1 lies before the consistent point");
      assertTrue(isTemporarySlot("dv_tmp"));

      db.exec("INSERT INTO item VALUES (2)");
      assertTrue(currentWalLsn().asLong() > consistentPoint.asLong(), "commit 2 lies after the consistent point");

      try (Connection reader = PostgresFixture.get().connect(db.url)) {
        reader.setAutoCommit(false);
        reader.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        try (Statement s = reader.createStatement()) {
          s.execute("SET TRANSACTION SNAPSHOT '" + snapshot.snapshotName() + "'");
          seen = ids(s);
        }
        reader.commit();
      }
    }
    assertEquals(List.of(1), seen);
    try (Statement s = db.sql.createStatement()) {
      assertEquals(List.of(1, 2), ids(s), "without the snapshot both rows are there");
    }
    waitFor("temporary slot dropped with its connection", () -> !slotExists("dv_tmp"));
  }

  private static List<Integer> ids(Statement s) throws SQLException {
    List<Integer> out = new ArrayList<>();
    try (ResultSet rs = s.executeQuery("SELECT id FROM item ORDER BY id")) {
      while (rs.next()) {
        out.add(rs.getInt(1));
      }
    }
    return out;
  }

  private LogSequenceNumber currentWalLsn() throws SQLException {
    try (Statement s = db.sql.createStatement();
         ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
      rs.next();
      return LogSequenceNumber.valueOf(rs.getString(1));
    }
  }

  private boolean isTemporarySlot(String name) throws SQLException {
    try (PreparedStatement ps = db.sql.prepareStatement(
        "SELECT temporary AND plugin = 'pgoutput' FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  private boolean slotExists(String name) throws SQLException {
    try (PreparedStatement ps = db.sql.prepareStatement("SELECT 1 FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }
}
