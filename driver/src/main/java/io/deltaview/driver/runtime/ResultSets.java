package io.deltaview.driver.runtime;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * Builds result sets for Deltaview's own commands by asking PostgreSQL for a {@code VALUES} list, so that
 * they come with real, typed metadata and behave like any other pgjdbc result set.
 */
final class ResultSets {

  private ResultSets() {
  }

  /** A result set with the given column names and PostgreSQL types, holding {@code rows}. */
  static ResultSet values(Connection raw, List<String> names, List<String> types, List<Object[]> rows)
      throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT * FROM (VALUES ");
    int rowCount = Math.max(rows.size(), 1);
    for (int r = 0; r < rowCount; r++) {
      sql.append(r == 0 ? "(" : ", (");
      for (int c = 0; c < types.size(); c++) {
        sql.append(c == 0 ? "" : ", ").append("?::").append(types.get(c));
      }
      sql.append(')');
    }
    sql.append(") AS v (");
    for (int c = 0; c < names.size(); c++) {
      sql.append(c == 0 ? "" : ", ").append('"').append(names.get(c)).append('"');
    }
    sql.append(')');
    if (rows.isEmpty()) {
      sql.append(" WHERE false");
    }
    PreparedStatement ps = raw.prepareStatement(sql.toString());
    try {
      int index = 1;
      for (int r = 0; r < rowCount; r++) {
        for (int c = 0; c < types.size(); c++) {
          Object value = rows.isEmpty() ? null : rows.get(r)[c];
          ps.setString(index++, value == null ? null : value.toString());
        }
      }
      ps.closeOnCompletion();
      return ps.executeQuery();
    } catch (SQLException | RuntimeException e) {
      ps.close();
      throw e;
    }
  }
}
