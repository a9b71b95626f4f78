package io.deltaview.engine.view;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The partitions (at every level) and inheritance children of tables, as {@code pg_inherits} has them now: the
 * relations whose rows a query over such a table reads besides its own. One query, whatever the number of
 * tables; a table without any has none in the answer.
 */
public final class Descendants {

  private Descendants() {
  }

  /**
   * Per table OID of {@code oids} that has descendants, all of them (each once, ordered by OID), with
   * {@code extra} further columns of each descendant's {@code pg_class} row {@code c} read by {@code row}.
   */
  static <T> Map<Long, List<T>> of(Connection c, Long[] oids, String extraColumns, String publication,
      RowReader<T> row) throws SQLException {
    Map<Long, List<T>> out = new HashMap<>();
    if (oids.length == 0) {
      return out;
    }
    // UNION (not UNION ALL): a child of two parents under one root is one descendant.
    String sql = "WITH RECURSIVE d(root, oid) AS ("
        + " SELECT i.inhparent, i.inhrelid FROM pg_inherits i WHERE i.inhparent = ANY (?::oid[])"
        + " UNION SELECT d.root, i.inhrelid FROM d JOIN pg_inherits i ON i.inhparent = d.oid)"
        + " SELECT d.root, c.oid, n.nspname, c.relname, c.relkind" + extraColumns
        + " FROM d JOIN pg_class c ON c.oid = d.oid JOIN pg_namespace n ON n.oid = c.relnamespace"
        + " ORDER BY d.root, c.oid";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setArray(1, c.createArrayOf("bigint", oids));
      if (publication != null) {
        ps.setString(2, publication);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          TableShape.Descendant d = new TableShape.Descendant(rs.getLong(2), rs.getString(3), rs.getString(4),
              rs.getString(5).charAt(0));
          out.computeIfAbsent(rs.getLong(1), k -> new ArrayList<>()).add(row.read(d, rs));
        }
      }
    }
    return out;
  }

  /** Reads one descendant's row of {@link #of}. */
  interface RowReader<T> {
    T read(TableShape.Descendant descendant, ResultSet rs) throws SQLException;
  }

  /** Per table of {@code oids} that has any, its descendants, ordered by OID. */
  public static Map<Long, List<TableShape.Descendant>> of(Connection c, Collection<Long> oids)
      throws SQLException {
    return of(c, oids.toArray(new Long[0]), "", null, (d, rs) -> d);
  }

  /** The descendants of table {@code oid}, ordered by OID; empty for a table without any. */
  public static List<TableShape.Descendant> of(Connection c, long oid) throws SQLException {
    return of(c, new Long[] {oid}, "", null, (d, rs) -> d).getOrDefault(oid, List.of());
  }
}
