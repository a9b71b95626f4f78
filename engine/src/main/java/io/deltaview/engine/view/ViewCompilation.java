package io.deltaview.engine.view;

import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.expr.SessionZone;
import io.deltaview.engine.sink.ResultColumn;
import io.deltaview.engine.sink.ResultTableSink;
import io.deltaview.rewriter.sql.DefinitionSql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/**
 * Turns a registered view into a {@link MaintainedView}: its definition planned against the tables as they
 * are now (names resolved with the creator's search_path) and a sink for its result table.
 */
public final class ViewCompilation {

  private ViewCompilation() {
  }

  /**
   * A view as the catalog stores it. The stored definition is checked and re-rendered again
   * ({@link DefinitionSql}), never run as stored; the search_path is a bound value, set for this transaction
   * only.
   */
  public static MaintainedView fromCatalog(Connection c, ViewRecord r) throws SQLException {
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try {
      setSearchPath(c, r.searchPath());
      ViewRecord checked = r.withDefinition(DefinitionSql.canonical(r.definition()));
      return of(c, checked, ViewPlanner.plan(c, checked.definition(), checked.zone()));
    } finally {
      c.rollback();
      c.setAutoCommit(autoCommit);
    }
  }

  /** A view planned as {@code plan}, whose result table exists (in {@code c}'s transaction at least). */
  public static MaintainedView of(Connection c, ViewRecord r, PlannedView plan) throws SQLException {
    List<ResultColumn> columns = Catalog.columnsOf(c, r.schema(), r.name());
    ResultTableSink sink = new ResultTableSink(r.schema(), r.name(), columns, plan.uniqueKey(), plan.keyNotNull());
    return new MaintainedView(r, plan.sources(), sink, plan.pipelineFactory());
  }

  /** The TimeZone of {@code c}'s session: where a view it defined now would convert timestamptz values. */
  public static SessionZone sessionZone(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT current_setting('TimeZone')");
         java.sql.ResultSet rs = ps.executeQuery()) {
      rs.next();
      return SessionZone.of(rs.getString(1));
    }
  }

  /** Sets {@code searchPath} for the rest of {@code c}'s transaction, as a bound value. */
  public static void setSearchPath(Connection c, String searchPath) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT set_config('search_path', ?, true)")) {
      ps.setString(1, searchPath);
      ps.execute();
    }
  }
}
