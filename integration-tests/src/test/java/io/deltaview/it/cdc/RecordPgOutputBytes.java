package io.deltaview.it.cdc;

import io.deltaview.it.fixture.PostgresFixture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * One-off recorder of real pgoutput bytes for the engine's database-free decoder tests: run with
 * {@code -Ddeltaview.cdc.recordTo=<dir>} (normally engine/src/test/resources/cdc) to regenerate the
 * {@code *.hex} files ({@code -Ddeltaview.cdc.recordOnly=<name>} rewrites just one). Skipped otherwise, so it
 * is not part of the regular suite.
 *
 * <p>File format: {@code #} comment lines, then one line per message: {@code <lsn> <hex bytes>}.
 */
@EnabledIfSystemProperty(named = "deltaview.cdc.recordTo", matches = ".+")
class RecordPgOutputBytes {

  private static final String BIG = "(SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 320))";

  @Test
  void record() throws Exception {
    Path dir = Path.of(System.getProperty("deltaview.cdc.recordTo"));
    Files.createDirectories(dir);
    PostgresFixture pg = PostgresFixture.get();
    String url = pg.createDatabase("cdc_record");
    try (Connection c = pg.connect(url); Statement s = c.createStatement()) {
      // The fixture runs with synchronous_commit=off; peek only decodes flushed WAL, so flush every commit.
      s.execute("SET synchronous_commit = on");
      s.execute("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
      s.execute("CREATE TABLE item (id int PRIMARY KEY, name text, note text)");
      s.execute("CREATE TABLE full_item (id int PRIMARY KEY, name text, note text)");
      s.execute("ALTER TABLE full_item REPLICA IDENTITY FULL");
      s.execute("CREATE TABLE other (id serial PRIMARY KEY, v text)");
      s.execute("CREATE TABLE feeling (id int PRIMARY KEY, m mood)");
      // STORAGE EXTERNAL: out of line and uncompressed, so the value is surely TOASTed on disk.
      s.execute("CREATE TABLE doc (id int PRIMARY KEY, title text, body text)");
      s.execute("ALTER TABLE doc ALTER COLUMN body SET STORAGE EXTERNAL");
      s.execute("CREATE TABLE full_doc (id int PRIMARY KEY, title text, body text)");
      s.execute("ALTER TABLE full_doc ALTER COLUMN body SET STORAGE EXTERNAL");
      s.execute("ALTER TABLE full_doc REPLICA IDENTITY FULL");
      s.execute("CREATE PUBLICATION pub FOR ALL TABLES");
      s.execute("INSERT INTO item VALUES (1, 'one', NULL), (2, 'two', 'second')");
      s.execute("INSERT INTO full_item VALUES (1, 'one', NULL), (2, 'two', 'second')");
      s.execute("INSERT INTO other (v) VALUES ('x')");
      s.execute("INSERT INTO doc VALUES (1, 'first', " + BIG + ")");
      s.execute("INSERT INTO full_doc VALUES (1, 'first', " + BIG + ")");

      record(s, dir, "insert", "INSERT INTO item VALUES (3, 'three', 'héllo wörld')");
      record(s, dir, "update-no-old", "UPDATE item SET name = 'uno' WHERE id = 1");
      record(s, dir, "update-key", "UPDATE item SET id = 10 WHERE id = 2");
      record(s, dir, "update-full", "UPDATE full_item SET name = 'uno', note = 'n' WHERE id = 1");
      record(s, dir, "delete-key", "DELETE FROM item WHERE id = 10");
      record(s, dir, "delete-full", "DELETE FROM full_item WHERE id = 2");
      record(s, dir, "truncate", "TRUNCATE item, other RESTART IDENTITY");
      record(s, dir, "type", "INSERT INTO feeling VALUES (1, 'happy')");
      record(s, dir, "message", "SELECT pg_logical_emit_message(true, 'deltaview', 'hello'); "
          + "SELECT pg_logical_emit_message(false, 'deltaview-nt', '\\x00ff'::bytea)");
      record(s, dir, "toast-full", "UPDATE full_doc SET title = 'renamed' WHERE id = 1");
      record(s, dir, "toast-default", "UPDATE doc SET title = 'renamed' WHERE id = 1");
      // A transaction replayed "from elsewhere": pgoutput announces its origin after BEGIN.
      s.execute("SELECT pg_replication_origin_create('dv_origin')");
      s.execute("SELECT pg_replication_origin_session_setup('dv_origin')");
      record(s, dir, "origin", "BEGIN; SELECT pg_replication_origin_xact_setup('0/ABCDEF', now()); "
          + "INSERT INTO item VALUES (4, 'four', NULL); COMMIT");
      s.execute("SELECT pg_replication_origin_session_reset()");
      // Binary transfer ('b' columns): not what the reader asks for, but the decoder must not choke on it.
      record(s, dir, "insert-binary", "INSERT INTO item VALUES (5, 'five', NULL)", "'binary', 'true'");
    }
  }

  private static void record(Statement s, Path dir, String name, String sql) throws SQLException, IOException {
    record(s, dir, name, sql, null);
  }

  private static void record(Statement s, Path dir, String name, String sql, String extraOptions)
      throws SQLException, IOException {
    String only = System.getProperty("deltaview.cdc.recordOnly", "");
    if (!only.isEmpty() && !only.equals(name)) {
      s.execute(sql); // keep the database evolving the same way, but leave the recorded file alone
      return;
    }
    String slot = "rec_" + name.replace('-', '_');
    s.execute("SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
    s.execute(sql);
    StringBuilder out = new StringBuilder();
    out.append("# pgoutput proto_version 1, recorded from PostgreSQL ")
        .append(s.getConnection().getMetaData().getDatabaseProductVersion()).append('\n');
    out.append("# SQL: ").append(sql).append('\n');
    if (extraOptions != null) {
      out.append("# extra options: ").append(extraOptions).append('\n');
    }
    try (ResultSet rs = s.executeQuery("SELECT lsn, data FROM pg_logical_slot_peek_binary_changes('" + slot
        + "', NULL, NULL, 'proto_version', '1', 'publication_names', 'pub', 'messages', 'true'"
        + (extraOptions == null ? "" : ", " + extraOptions) + ")")) {
      while (rs.next()) {
        out.append(rs.getString(1)).append(' ').append(HexFormat.of().formatHex(rs.getBytes(2))).append('\n');
      }
    }
    s.execute("SELECT pg_drop_replication_slot('" + slot + "')");
    Files.writeString(dir.resolve(name + ".hex"), out, StandardCharsets.UTF_8);
  }
}
