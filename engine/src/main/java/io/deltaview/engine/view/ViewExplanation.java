package io.deltaview.engine.view;

import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.dataflow.DataflowPrinter;
import io.deltaview.rewriter.sql.DefinitionSql;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.List;

/**
 * EXPLAIN INCREMENTAL VIEW: the dataflow that maintains a view, or would maintain a definition, one line per
 * operator with what it keeps. Planned on the caller's connection (it only reads the catalog), so any process
 * can answer, whether or not it maintains the views.
 */
public final class ViewExplanation {

  private ViewExplanation() {
  }

  /** The plan of {@code sql} as the caller would create it: names resolved with the caller's search_path. */
  public static List<String> ofDefinition(Connection caller, String sql) throws SQLException {
    return DataflowPrinter.lines(ViewPlanner.dataflow(caller, DefinitionSql.canonical(sql),
        ViewCompilation.sessionZone(caller)));
  }

  /**
   * The plan of a registered view, its names resolved with its creator's search_path, set for the planning
   * only: inside a savepoint when the caller is in a transaction (rolled back to, so the caller's transaction
   * and settings are as they were), else in a transaction of its own that is rolled back.
   */
  public static List<String> ofView(Connection caller, ViewRecord view) throws SQLException {
    String definition = DefinitionSql.canonical(view.definition());
    if (caller.getAutoCommit()) {
      caller.setAutoCommit(false);
      try {
        ViewCompilation.setSearchPath(caller, view.searchPath());
        return DataflowPrinter.lines(ViewPlanner.dataflow(caller, definition, view.zone()));
      } finally {
        caller.rollback();
        caller.setAutoCommit(true);
      }
    }
    Savepoint savepoint = caller.setSavepoint();
    try {
      ViewCompilation.setSearchPath(caller, view.searchPath());
      return DataflowPrinter.lines(ViewPlanner.dataflow(caller, definition, view.zone()));
    } finally {
      caller.rollback(savepoint);
    }
  }
}
