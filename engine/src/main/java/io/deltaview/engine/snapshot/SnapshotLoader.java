package io.deltaview.engine.snapshot;

import io.deltaview.engine.compile.ViewPipeline;
import io.deltaview.engine.operator.ZSet;
import io.deltaview.engine.row.Row;
import io.deltaview.engine.row.Values;
import io.deltaview.engine.sink.SqlIdentifiers;
import io.deltaview.engine.view.MaintainedView;
import io.deltaview.engine.view.TableShape;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * Reads base tables inside a transaction pinned to an exported snapshot and feeds them, in chunks, through
 * fresh pipelines, so that each view's operator state and full result correspond to exactly that snapshot.
 */
public final class SnapshotLoader {

  private static final System.Logger LOG = System.getLogger(SnapshotLoader.class.getName());
  private static final int CHUNK_ROWS = 20_000;
  private static final int PROGRESS_EVERY = 250_000;

  /** A view's loaded state: its pipeline and its full result at the snapshot. */
  public record Loaded(ViewPipeline pipeline, ZSet contents) {
  }

  private SnapshotLoader() {
  }

  /**
   * Loads {@code views} on {@code connection}, which must not be in a transaction; the snapshot named
   * {@code snapshotName} must stay exported (its replication connection open and idle) until this returns.
   */
  public static Map<MaintainedView, Loaded> load(Connection connection, String snapshotName,
      List<MaintainedView> views) throws SQLException {
    Map<MaintainedView, ViewPipeline> pipelines = new LinkedHashMap<>();
    Map<MaintainedView, ZSet> contents = new LinkedHashMap<>();
    Map<String, TableShape> tables = new LinkedHashMap<>();
    for (MaintainedView v : views) {
      pipelines.put(v, v.newPipeline());
      contents.put(v, new ZSet());
      for (TableShape t : v.sources()) {
        tables.merge(t.qualifiedName(), t, TableShape::readingAlso);
      }
    }
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try (Statement s = connection.createStatement()) {
      s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      s.execute("SET TRANSACTION SNAPSHOT " + SqlIdentifiers.literal(snapshotName));
      for (TableShape table : tables.values()) {
        loadTable(connection, table, pipelines, contents);
      }
      connection.commit();
    } catch (SQLException | RuntimeException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(autoCommit);
    }
    Map<MaintainedView, Loaded> out = new LinkedHashMap<>();
    for (MaintainedView v : views) {
      out.put(v, new Loaded(pipelines.get(v), contents.get(v)));
    }
    return out;
  }

  private static void loadTable(Connection connection, TableShape table, Map<MaintainedView, ViewPipeline> pipelines,
      Map<MaintainedView, ZSet> contents) throws SQLException {
    // Only the columns some view reads; the others stay NULL in the rows, as in the stream (see TableShape).
    int[] read = table.read().stream().toArray();
    StringBuilder sql = new StringBuilder("SELECT ");
    for (int i = 0; i < read.length; i++) {
      sql.append(i == 0 ? "" : ", ").append(SqlIdentifiers.quote(table.columnNames().get(read[i])));
    }
    if (read.length == 0) {
      sql.append("NULL"); // e.g. SELECT count(*) FROM t: only the number of rows matters
    }
    sql.append(" FROM ").append(SqlIdentifiers.quote(table.schema(), table.name()));
    List<SqlTypeName> types = table.columnTypes();
    long rows = 0;
    try (Statement s = connection.createStatement()) {
      s.setFetchSize(CHUNK_ROWS);
      try (ResultSet rs = s.executeQuery(sql.toString())) {
        ZSet chunk = new ZSet(CHUNK_ROWS);
        while (rs.next()) {
          Object[] values = new Object[types.size()];
          for (int i = 0; i < read.length; i++) {
            values[read[i]] = Values.parse(rs.getString(i + 1), types.get(read[i]));
          }
          chunk.add(Row.wrap(values), 1);
          rows++;
          if (chunk.size() >= CHUNK_ROWS) {
            feed(table, chunk, pipelines, contents);
            chunk = new ZSet(CHUNK_ROWS);
          }
          if (rows % PROGRESS_EVERY == 0) {
            LOG.log(System.Logger.Level.INFO, "snapshot of " + table.qualifiedName() + ": " + rows + " rows");
          }
        }
        feed(table, chunk, pipelines, contents);
      }
    }
    LOG.log(System.Logger.Level.INFO, "snapshot of " + table.qualifiedName() + " done: " + rows + " rows");
  }

  private static void feed(TableShape table, ZSet chunk, Map<MaintainedView, ViewPipeline> pipelines,
      Map<MaintainedView, ZSet> contents) {
    if (chunk.isEmpty()) {
      return;
    }
    for (Map.Entry<MaintainedView, ViewPipeline> e : pipelines.entrySet()) {
      int[] indexes = e.getKey().sourceIndexes(table.qualifiedName());
      if (indexes == null) {
        continue;
      }
      Map<Integer, ZSet> deltas = new HashMap<>();
      for (int index : indexes) {
        deltas.put(index, chunk);
      }
      contents.get(e.getKey()).addAll(e.getValue().onChanges(deltas));
    }
  }
}
