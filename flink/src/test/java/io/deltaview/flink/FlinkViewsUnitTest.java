package io.deltaview.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.SQLException;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlinkViewsUnitTest {

  @Test
  void theDatabaseComesFromTheUrlAndItsPasswordNeverFromToString() throws SQLException {
    FlinkDatabase db = FlinkDatabase.fromJdbcUrl("jdbc:postgresql://db.example:6543/shop?sslmode=disable", "app",
        "secret");
    assertEquals(new FlinkDatabase("db.example", 6543, "shop", "app", "secret"), db);
    assertFalse(db.toString().contains("secret"), db.toString());
    assertEquals(5432, FlinkDatabase.fromJdbcUrl("jdbc:postgresql://db/shop", "app", null).port());
    assertEquals("", FlinkDatabase.fromJdbcUrl("jdbc:postgresql://db/shop", "app", null).password());
    assertEquals("22023", assertThrows(SQLException.class,
        () -> FlinkDatabase.fromJdbcUrl("jdbc:postgresql:shop", "app", "x")).getSQLState());
    assertEquals("22023", assertThrows(SQLException.class,
        () -> FlinkDatabase.fromJdbcUrl("jdbc:postgresql://db/", "app", "x")).getSQLState());
    assertEquals("22023", assertThrows(SQLException.class,
        () -> FlinkDatabase.fromJdbcUrl("jdbc:postgresql://db/shop", null, "x")).getSQLState());
  }

  @Test
  void replicationNamesArePlainShortAndDifferPerDatabaseSchemaAndView() {
    String name = FlinkViews.replicationName("shop", "public", "by_region");
    assertTrue(name.matches("dvf_[0-9a-f]{16}"), name);
    assertEquals(name, FlinkViews.replicationName("shop", "public", "by_region"));
    assertNotEquals(name, FlinkViews.replicationName("shop2", "public", "by_region"));
    assertNotEquals(name, FlinkViews.replicationName("shop", "sales", "by_region"));
    assertNotEquals(FlinkViews.replicationName("a", "b\u0000c", "d"), FlinkViews.replicationName("a", "b", "c\u0000d"));
  }

  @Test
  void resumingTakesTheNewestCompletedCheckpoint(@TempDir Path dir) throws Exception {
    Path root = dir.resolve("checkpoints");
    assertNull(FlinkViews.newestCheckpoint(root));
    Path older = Files.createDirectories(root.resolve("job1").resolve("chk-9"));
    Files.writeString(older.resolve("_metadata"), "m");
    Files.setLastModifiedTime(older.resolve("_metadata"), FileTime.from(Instant.parse("2026-01-01T00:00:00Z")));
    Path newer = Files.createDirectories(root.resolve("job2").resolve("chk-3"));
    Files.writeString(newer.resolve("_metadata"), "m");
    Files.setLastModifiedTime(newer.resolve("_metadata"), FileTime.from(Instant.parse("2026-02-01T00:00:00Z")));
    Files.createDirectories(root.resolve("job2").resolve("chk-4")); // still being written: no _metadata
    Files.createDirectories(root.resolve("job2").resolve("shared"));
    assertEquals(newer, FlinkViews.newestCheckpoint(root));
  }
}
