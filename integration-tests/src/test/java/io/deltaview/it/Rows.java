package io.deltaview.it;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A query's result as a sorted multiset of rows, each rendered as text exactly as PostgreSQL printed it, except
 * floating-point columns which are compared with a relative tolerance (sums may differ in the last bits).
 */
final class Rows {

  final List<String> labels;
  final List<List<String>> rows;
  final boolean[] floating;

  private Rows(List<String> labels, List<List<String>> rows, boolean[] floating) {
    this.labels = labels;
    this.rows = rows;
    this.floating = floating;
  }

  static Rows query(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      return read(rs);
    }
  }

  static Rows read(ResultSet rs) throws SQLException {
    ResultSetMetaData md = rs.getMetaData();
    int n = md.getColumnCount();
    List<String> labels = new ArrayList<>();
    boolean[] floating = new boolean[n];
    for (int i = 1; i <= n; i++) {
      labels.add(md.getColumnLabel(i) + ":" + md.getColumnTypeName(i));
      int t = md.getColumnType(i);
      floating[i - 1] = t == Types.DOUBLE || t == Types.FLOAT || t == Types.REAL;
    }
    List<List<String>> rows = new ArrayList<>();
    while (rs.next()) {
      List<String> row = new ArrayList<>(n);
      for (int i = 1; i <= n; i++) {
        row.add(rs.getString(i));
      }
      rows.add(row);
    }
    rows.sort((a, b) -> {
      for (int i = 0; i < a.size(); i++) {
        int c = compareNullable(a.get(i), b.get(i));
        if (c != 0) {
          return c;
        }
      }
      return 0;
    });
    return new Rows(Collections.unmodifiableList(labels), rows, floating);
  }

  private static int compareNullable(String a, String b) {
    if (a == null || b == null) {
      return a == null ? (b == null ? 0 : -1) : 1;
    }
    return a.compareTo(b);
  }

  /** Null if equal (floats within tolerance), else a description of the first difference. */
  String difference(Rows other, boolean compareLabels) {
    if (compareLabels && !labels.equals(other.labels)) {
      return "labels differ: " + labels + " vs " + other.labels;
    }
    if (rows.size() != other.rows.size()) {
      return "row counts differ: " + rows.size() + " vs " + other.rows.size() + firstDiff(other);
    }
    for (int r = 0; r < rows.size(); r++) {
      List<String> a = rows.get(r);
      List<String> b = other.rows.get(r);
      for (int i = 0; i < a.size(); i++) {
        if (!valueEquals(a.get(i), b.get(i), floating[i])) {
          return "row " + r + " differs: " + a + " vs " + b;
        }
      }
    }
    return null;
  }

  private String firstDiff(Rows other) {
    List<List<String>> onlyHere = new ArrayList<>(rows);
    for (List<String> row : other.rows) {
      onlyHere.remove(row);
    }
    List<List<String>> onlyThere = new ArrayList<>(other.rows);
    for (List<String> row : rows) {
      onlyThere.remove(row);
    }
    return "; only in first: " + head(onlyHere) + "; only in second: " + head(onlyThere);
  }

  private static List<List<String>> head(List<List<String>> l) {
    return l.subList(0, Math.min(5, l.size()));
  }

  private static boolean valueEquals(String a, String b, boolean floating) {
    if (a == null || b == null) {
      return a == b;
    }
    if (!floating || a.equals(b)) {
      return a.equals(b);
    }
    double x = Double.parseDouble(a);
    double y = Double.parseDouble(b);
    return Math.abs(x - y) <= 1e-9 * Math.max(1, Math.max(Math.abs(x), Math.abs(y)));
  }

  int size() {
    return rows.size();
  }

  @Override
  public String toString() {
    return labels + " " + rows.size() + " rows";
  }
}
