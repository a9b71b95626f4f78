package io.deltaview.engine.ddl;

import io.deltaview.engine.catalog.Catalog;
import io.deltaview.sql.SqlIdentifiers;
import io.deltaview.engine.view.TableShape;
import io.deltaview.sql.SqlStates;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What Deltaview does to the tables its views read: which ones it can maintain views over, putting them
 * into the publication with {@code REPLICA IDENTITY FULL}, and undoing both when no view needs them any
 * more. The replica identity a table had before is recorded in {@code deltaview.base_tables}, in the same
 * transaction as the change, and restored when the last view over the table goes.
 */
public final class BaseTables {

  private BaseTables() {
  }

  /**
   * Refuses relations whose changes the stream would not carry: views, materialized views and foreign tables
   * (no changes at all), and partitioned tables or inheritance parents with a foreign table among their
   * descendants. Partitioned tables and tables with inheritance children are maintained through their
   * descendants ({@link TableShape#descendants()}).
   *
   * @throws SQLException {@code 0A000} naming the relation that is not a table, or the foreign descendant
   */
  public static void checkMaintainable(Connection c, List<TableShape> tables) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT c.relkind"
        + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?")) {
      for (TableShape t : tables) {
        ps.setString(1, t.schema());
        ps.setString(2, t.name());
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            throw new SQLException("relation \"" + t.qualifiedName() + "\" does not exist", SqlStates.UNDEFINED_TABLE);
          }
          String kind = rs.getString(1);
          String name = t.qualifiedName();
          switch (kind) {
            case "r", "p" -> {
              for (TableShape.Descendant d : t.descendants()) {
                if (d.kind() != 'r' && d.kind() != 'p') {
                  throw new SQLException("Deltaview cannot maintain views over table " + name + ": its"
                      + (kind.equals("p") ? " partition " : " inheritance child ") + d.qualifiedName() + " is "
                      + (d.kind() == 'f' ? "a foreign table, whose changes PostgreSQL does not replicate"
                      : "not a table (relkind " + d.kind() + ")"), SqlStates.FEATURE_NOT_SUPPORTED);
                }
              }
            }
            case "v" -> throw notATable(name, "a view: define the incremental view over its tables instead");
            case "m" -> throw notATable(name, "a materialized view, whose changes PostgreSQL does not replicate");
            case "f" -> throw notATable(name, "a foreign table, whose changes PostgreSQL does not replicate");
            default -> throw notATable(name, "not a table (relkind " + kind + ")");
          }
        }
      }
    }
  }

  /** A relation in FROM that cannot be maintained: a refusal of the construct (0A000), naming it. */
  private static SQLException notATable(String name, String what) {
    return new SQLException("Deltaview cannot maintain a view over " + name + ": it is " + what,
        SqlStates.FEATURE_NOT_SUPPORTED);
  }

  /**
   * Puts {@code tables} into {@code publication} with REPLICA IDENTITY FULL (old rows complete in the
   * stream), in {@code c}'s transaction. The SHARE lock makes transactions that already wrote these tables
   * finish before the tables join the publication: otherwise a change made before the ADD by a transaction
   * committing after it would be in neither the stream nor the snapshot.
   */
  public static void prepare(Connection c, String publication, List<TableShape> tables) throws SQLException {
    Set<String> published = publishedTables(c, publication);
    boolean publicationExists;
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
      ps.setString(1, publication);
      try (ResultSet rs = ps.executeQuery()) {
        publicationExists = rs.next();
      }
    }
    List<String> all = new ArrayList<>();
    List<String> needIdentity = new ArrayList<>();
    List<String> toAdd = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (String[] table : rowHolders(c, tables)) {
      String qualified = table[0] + "." + table[1];
      if (!seen.add(qualified)) {
        continue;
      }
      String quoted = SqlIdentifiers.quote(table[0], table[1]);
      all.add(quoted);
      if (!"f".equals(replicaIdentity(c, quoted))) {
        needIdentity.add(quoted);
      }
      if (!published.contains(qualified)) {
        toAdd.add(quoted);
      }
    }
    if (needIdentity.isEmpty() && toAdd.isEmpty()) {
      return;
    }
    try (Statement s = c.createStatement()) {
      // All locks in one statement before any ALTER, so this transaction never holds one table while waiting
      // for another in the middle of the DDL; writers can still deadlock with it, and CREATE retries then.
      s.execute("LOCK TABLE " + String.join(", ", needIdentity.isEmpty() ? toAdd : all) + " IN "
          + (needIdentity.isEmpty() ? "SHARE" : "ACCESS EXCLUSIVE") + " MODE");
      for (String quoted : needIdentity) {
        rememberIdentity(c, quoted);
        s.execute("ALTER TABLE " + quoted + " REPLICA IDENTITY FULL");
      }
      if (toAdd.isEmpty()) {
        return;
      }
      String list = String.join(", ", toAdd);
      if (publicationExists) {
        s.execute("ALTER PUBLICATION " + SqlIdentifiers.quote(publication) + " ADD TABLE " + list);
      } else {
        s.execute("CREATE PUBLICATION " + SqlIdentifiers.quote(publication) + " FOR TABLE " + list);
      }
    }
  }

  /**
   * The relations whose changes the stream must carry for views over {@code tables}, as {schema, name}: each
   * table that holds rows itself (not a partitioned one) and each of its planned descendants that does. A
   * partitioned table is not published itself: with publish_via_partition_root off (the publication is shared
   * by every view, and a view over one partition must get its changes under its name) its partitions'
   * changes arrive under their own names anyway, and the apply loop maps them to the table.
   */
  private static List<String[]> rowHolders(Connection c, List<TableShape> tables) throws SQLException {
    List<String[]> out = new ArrayList<>();
    for (TableShape table : tables) {
      if (!"p".equals(relkind(c, SqlIdentifiers.quote(table.schema(), table.name())))) {
        out.add(new String[] {table.schema(), table.name()});
      }
      for (TableShape.Descendant d : table.descendants()) {
        if (d.holdsRows()) {
          out.add(new String[] {d.schema(), d.name()});
        }
      }
    }
    return out;
  }

  private static String relkind(Connection c, String quoted) throws SQLException {
    return pgClassColumn(c, quoted, "relkind");
  }

  /**
   * Takes tables no remaining view reads ({@code needed}: {@code schema.table} names) out of the
   * publication and gives them back the replica identity they had before Deltaview changed it, in {@code c}'s
   * transaction. With no view left the publication stays as it is: the stream still running on it would fail
   * without it, so it is dropped with the slot ({@link #dropPublication}).
   */
  public static void release(Connection c, String publication, Set<String> neededTables) throws SQLException {
    Set<String> needed = withDescendants(c, neededTables);
    List<String> drop = new ArrayList<>();
    for (String table : publishedTables(c, publication)) {
      if (!needed.contains(table)) {
        String[] parts = Catalog.splitQualified(table);
        drop.add(SqlIdentifiers.quote(parts[0], parts[1]));
      }
    }
    if (!needed.isEmpty() && !drop.isEmpty()) {
      try (Statement s = c.createStatement()) {
        s.execute("ALTER PUBLICATION " + SqlIdentifiers.quote(publication) + " DROP TABLE " + String.join(", ", drop));
      }
    }
    restoreIdentities(c, needed);
  }

  /**
   * {@code tables} ({@code schema.table} names) and the current descendants of those that exist, named the same
   * way: the views over a table need its partitions and inheritance children published too.
   */
  private static Set<String> withDescendants(Connection c, Set<String> tables) throws SQLException {
    Set<String> out = new HashSet<>(tables);
    if (tables.isEmpty()) {
      return out;
    }
    try (PreparedStatement ps = c.prepareStatement("WITH RECURSIVE d(oid) AS ("
        + " SELECT i.inhrelid FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhparent"
        + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname || '.' || c.relname = ANY (?::text[])"
        + " UNION SELECT i.inhrelid FROM d JOIN pg_inherits i ON i.inhparent = d.oid)"
        + " SELECT n.nspname || '.' || c.relname FROM d JOIN pg_class c ON c.oid = d.oid"
        + " JOIN pg_namespace n ON n.oid = c.relnamespace")) {
      ps.setArray(1, c.createArrayOf("text", tables.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  /** Drops the publication, once no view is left and the stream reading it has stopped. */
  public static void dropPublication(Connection c, String publication) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("DROP PUBLICATION IF EXISTS " + SqlIdentifiers.quote(publication));
    }
  }

  private static Set<String> publishedTables(Connection c, String publication) throws SQLException {
    Set<String> published = new HashSet<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT schemaname || '.' || tablename FROM pg_publication_tables"
        + " WHERE pubname = ?")) {
      ps.setString(1, publication);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          published.add(rs.getString(1));
        }
      }
    }
    return published;
  }

  private static String replicaIdentity(Connection c, String quoted) throws SQLException {
    return pgClassColumn(c, quoted, "relreplident");
  }

  /** One column of the {@code pg_class} row of relation {@code quoted}; {@code column} is one of this class's names. */
  private static String pgClassColumn(Connection c, String quoted, String column) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + column + " FROM pg_class WHERE oid = ?::regclass")) {
      ps.setString(1, quoted);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  /** Records the table's replica identity (and its index, for USING INDEX) unless already recorded. */
  private static void rememberIdentity(Connection c, String quoted) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + Catalog.SCHEMA + ".base_tables"
        + " (table_oid, original_replica_identity, replica_index)"
        + " SELECT c.oid, c.relreplident, (SELECT i.indexrelid FROM pg_index i WHERE i.indrelid = c.oid"
        + " AND i.indisreplident) FROM pg_class c WHERE c.oid = ?::regclass"
        + " ON CONFLICT (table_oid) DO NOTHING")) {
      ps.setString(1, quoted);
      ps.executeUpdate();
    }
  }

  /** Restores the recorded identity of every recorded table that is not {@code needed} any more. */
  private static void restoreIdentities(Connection c, Set<String> needed) throws SQLException {
    List<long[]> forget = new ArrayList<>();
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT b.table_oid, n.nspname, c.relname,"
        + " b.original_replica_identity, ix.relname, c.relreplident"
        + " FROM " + Catalog.SCHEMA + ".base_tables b"
        + " LEFT JOIN pg_class c ON c.oid = b.table_oid LEFT JOIN pg_namespace n ON n.oid = c.relnamespace"
        + " LEFT JOIN pg_class ix ON ix.oid = b.replica_index")) {
      List<String> alters = new ArrayList<>();
      while (rs.next()) {
        String schema = rs.getString(2);
        String table = rs.getString(3);
        if (table != null && needed.contains(schema + "." + table)) {
          continue;
        }
        forget.add(new long[] {rs.getLong(1)});
        if (table == null || !"f".equals(rs.getString(6))) {
          continue; // dropped since, or someone set another identity meanwhile: theirs stands
        }
        String quoted = SqlIdentifiers.quote(schema, table);
        String identity = switch (rs.getString(4)) {
          case "n" -> "NOTHING";
          case "f" -> "FULL";
          case "i" -> rs.getString(5) == null ? "DEFAULT" : "USING INDEX " + SqlIdentifiers.quote(rs.getString(5));
          default -> "DEFAULT";
        };
        alters.add("ALTER TABLE " + quoted + " REPLICA IDENTITY " + identity);
      }
      for (String alter : alters) {
        try (Statement a = c.createStatement()) {
          a.execute(alter);
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + Catalog.SCHEMA + ".base_tables"
        + " WHERE table_oid = ?::oid")) {
      for (long[] oid : forget) {
        ps.setLong(1, oid[0]);
        ps.executeUpdate();
      }
    }
  }
}
