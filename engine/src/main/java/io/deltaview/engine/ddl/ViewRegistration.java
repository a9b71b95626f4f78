package io.deltaview.engine.ddl;

import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.catalog.ViewState;
import io.deltaview.engine.cdc.SlotManager;
import io.deltaview.engine.expr.SessionZone;
import io.deltaview.engine.sink.ResultColumn;
import io.deltaview.engine.sink.ResultTableSink;
import io.deltaview.sql.SqlIdentifiers;
import io.deltaview.engine.view.MaintainedView;
import io.deltaview.engine.view.PlannedView;
import io.deltaview.engine.view.ViewCompilation;
import io.deltaview.engine.view.ViewPlanner;
import io.deltaview.sql.SqlStates;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What {@code CREATE} and {@code DROP INCREMENTAL VIEW} change in the database, each in one transaction of
 * its own: the result table, its key, its privileges, the base tables' publication membership and replica
 * identity, and the catalog row. Maintaining the view (the apply loop, the snapshot load) is the engine's.
 */
public final class ViewRegistration {

  private ViewRegistration() {
  }

  /**
   * Registers a view on {@code c} (a connection of the engine's role, committed or rolled back here): checks
   * that the requester may create it, creates and restricts the result table, adds its key, prepares the base
   * tables and inserts the catalog row. Returns null when the view exists and {@code ifNotExists}.
   *
   * @param definition canonical SQL ({@code DefinitionSql}): the only text executed
   */
  public static MaintainedView register(Connection c, Requester requester, String schema, String name,
      String definition, boolean ifNotExists, String origin, String publication) throws SQLException {
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      ViewCompilation.setSearchPath(c, requester.searchPath());
      s.execute("SET LOCAL lock_timeout = '30s'");
      ViewRecord existing = find(c, schema, name);
      if (existing != null) {
        c.rollback();
        if (ifNotExists) {
          return null;
        }
        throw new SQLException("incremental view \"" + schema + "." + name + "\" already exists",
            SqlStates.DUPLICATE_TABLE);
      }
      PlannedView plan = ViewPlanner.plan(c, definition, SessionZone.of(requester.timeZone()));
      BaseTables.checkMaintainable(c, plan.sources());
      requester.mayCreate(schema, definition, plan.sources(), !"sql".equals(origin));
      Catalog.ensureExists(c);
      String table = SqlIdentifiers.quote(schema, name);
      s.execute("CREATE TABLE " + table + " AS " + definition + " WITH NO DATA");
      ResultTables.restrictToReading(c, table, requester.role());
      addKey(s, schema, name, c, plan);
      BaseTables.prepare(c, publication, plan.sources());
      ViewRecord record = new ViewRecord(schema, name, definition, plan.baseTables(), origin,
          ViewState.SNAPSHOTTING, null, requester.searchPath(), requester.role(), requester.timeZone());
      Catalog.insertView(c, record);
      MaintainedView view = ViewCompilation.of(c, record, plan);
      c.commit();
      return view;
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    }
  }

  /**
   * The base tables ({@code schema.table}) {@code definition} reads, its names resolving on {@code searchPath}, as
   * the engine's planner finds them (on {@code c}, a connection of the engine's role; nothing is kept).
   *
   * @throws SQLException PostgreSQL's errors for a definition that does not plan, and the planner's refusals
   */
  public static List<String> baseTables(Connection c, String searchPath, String timeZone, String definition)
      throws SQLException {
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try {
      ViewCompilation.setSearchPath(c, searchPath);
      return ViewPlanner.plan(c, definition, SessionZone.of(timeZone)).baseTables();
    } finally {
      c.rollback();
      c.setAutoCommit(autoCommit);
    }
  }

  /** The registered view {@code schema.name}, or null. */
  public static ViewRecord find(Connection c, String schema, String name) throws SQLException {
    for (ViewRecord r : Catalog.loadViews(c)) {
      if (r.schema().equals(schema) && r.name().equals(name)) {
        return r;
      }
    }
    return null;
  }

  private static void addKey(Statement s, String schema, String name, Connection c, PlannedView plan)
      throws SQLException {
    int[] key = plan.uniqueKey();
    if (key != null && key.length == 0) {
      return; // one row at most
    }
    List<ResultColumn> columns = Catalog.columnsOf(c, schema, name);
    if (key == null) {
      // No key: retractions delete copies of whole rows; an index on some columns finds them.
      key = ResultTableSink.rowIndexColumns(columns);
      if (key.length == 0) {
        return;
      }
    }
    StringBuilder cols = new StringBuilder();
    for (int k : key) {
      cols.append(cols.length() == 0 ? "" : ", ").append(SqlIdentifiers.quote(columns.get(k).name()));
    }
    String table = SqlIdentifiers.quote(schema, name);
    if (plan.uniqueKey() != null && plan.keyNotNull()) {
      s.execute("ALTER TABLE " + table + " ADD PRIMARY KEY (" + cols + ")");
    } else {
      s.execute("CREATE INDEX ON " + table + " (" + cols + ")");
    }
  }

  /**
   * What {@link #unregister} did.
   *
   * @param found whether the view was registered
   * @param lastView whether no view is left: then the stream and its slot and publication can go
   */
  public record Unregistered(boolean found, boolean lastView) {
  }

  /**
   * Removes view {@code schema.name} on {@code c} (committed or rolled back here): its catalog row, its result
   * table, and the base tables no other view reads from the publication (their replica identity restored).
   */
  public static Unregistered unregister(Connection c, String schema, String name, String publication)
      throws SQLException {
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      if (!Catalog.exists(c)) {
        c.rollback();
        return new Unregistered(false, false);
      }
      boolean found = Catalog.deleteView(c, schema, name);
      if (found) {
        s.execute("DROP TABLE IF EXISTS " + SqlIdentifiers.quote(schema, name));
      }
      List<ViewRecord> remaining = Catalog.loadViews(c);
      Set<String> needed = new HashSet<>();
      for (ViewRecord r : remaining) {
        needed.addAll(r.baseTables());
      }
      BaseTables.release(c, publication, needed);
      c.commit();
      return new Unregistered(found, remaining.isEmpty());
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    }
  }

  /**
   * With no view left and the stream stopped: drops the slot, forgets its progress and drops the
   * publication.
   */
  public static void dropStreaming(Connection c, String slot, String publication) throws SQLException {
    SlotManager.dropSlotIfExists(c, slot);
    c.setAutoCommit(false);
    Catalog.deleteProgress(c, slot);
    BaseTables.dropPublication(c, publication);
    c.commit();
  }
}
