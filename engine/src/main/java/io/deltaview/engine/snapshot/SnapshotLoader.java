package io.deltaview.engine.snapshot;

import io.deltaview.engine.compile.ViewPipeline;
import io.deltaview.engine.operator.ZSet;
import io.deltaview.engine.row.Row;
import io.deltaview.engine.row.Values;
import io.deltaview.engine.sink.ResultTableSink;
import io.deltaview.sql.SqlIdentifiers;
import io.deltaview.engine.view.MaintainedView;
import io.deltaview.engine.view.TableShape;
import io.deltaview.engine.view.ViewFailure;
import io.deltaview.sql.SqlStates;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * Reads base tables inside a transaction pinned to an exported snapshot, feeds them in chunks through fresh
 * pipelines, and writes each view's full result at that snapshot into its result table, so that operator state
 * and result table correspond to exactly that snapshot.
 *
 * <p>Memory stays bounded by the operator state: the result of an {@link ViewPipeline#insertOnly insert-only}
 * view (filters, projections, joins) is streamed to COPY as the pipeline produces it, chunk by chunk, and is
 * never held, neither as rows nor as text; a view with an aggregate must consolidate its result first (a group's
 * row changes as rows arrive), which takes at most one row per group, as its aggregate state does anyway.
 *
 * <p>Failures are per view: when one view's pipeline throws (an evaluation error, {@link OutOfMemoryError}),
 * its state leaves the heap nearly full of live data ({@link HeapGuard}: it is stopped before the JVM runs out,
 * since an {@link OutOfMemoryError} could strike any thread), or PostgreSQL refuses its rows or its base table,
 * that view is reported failed and the others are loaded again from the same snapshot without it (its partial
 * writes are rolled back with the writer's transaction).
 */
public final class SnapshotLoader {

  private static final System.Logger LOG = System.getLogger(SnapshotLoader.class.getName());
  private static final int CHUNK_ROWS = 20_000;
  private static final int PROGRESS_EVERY = 250_000;

  /**
   * What a load did.
   *
   * @param loaded the views whose result tables were replaced in the writer's transaction, with their operator
   *     state at the snapshot
   * @param failed the views that could not be loaded, with why (their result tables are untouched)
   */
  public record Outcome(Map<MaintainedView, ViewPipeline> loaded, Map<MaintainedView, SQLException> failed) {
  }

  private SnapshotLoader() {
  }

  /**
   * Loads {@code views}: reads on {@code reader}, which must not be in a transaction, and replaces their
   * result tables in {@code writer}'s open transaction (autocommit off), which the caller commits. The
   * snapshot named {@code snapshotName} must stay exported (its replication connection open and idle) until
   * this returns.
   *
   * @param progress told the estimated rows and every row read
   * @throws SQLException a failure that is not one view's (e.g. the connection was lost): nothing is loaded,
   *     and the writer's transaction is rolled back
   */
  public static Outcome load(Connection reader, Connection writer, String snapshotName, List<MaintainedView> views,
      SnapshotProgress progress) throws SQLException {
    List<MaintainedView> remaining = new ArrayList<>(views);
    Map<MaintainedView, SQLException> failed = new LinkedHashMap<>();
    while (!remaining.isEmpty()) {
      try {
        progress.restart();
        return new Outcome(attempt(reader, writer, snapshotName, remaining, progress), failed);
      } catch (LoadFailure f) {
        writer.rollback();
        for (MaintainedView v : f.views) {
          failed.put(v, f.error);
          remaining.remove(v);
        }
        LOG.log(System.Logger.Level.DEBUG, () -> "load without " + f.views + " again: " + f.error);
      } catch (SQLException | RuntimeException | Error e) {
        writer.rollback();
        throw e;
      }
    }
    return new Outcome(Map.of(), failed);
  }

  /** One pass over the base tables for {@code views}; a {@link LoadFailure} names the views to leave out. */
  private static Map<MaintainedView, ViewPipeline> attempt(Connection reader, Connection writer, String snapshotName,
      List<MaintainedView> views, SnapshotProgress progress) throws SQLException, LoadFailure {
    Map<MaintainedView, ViewPipeline> pipelines = new LinkedHashMap<>();
    Map<MaintainedView, ZSet> consolidated = new HashMap<>();
    Map<String, TableShape> tables = new LinkedHashMap<>();
    for (MaintainedView v : views) {
      ViewPipeline pipeline;
      try {
        pipeline = v.newPipeline();
      } catch (RuntimeException | OutOfMemoryError e) {
        throw new LoadFailure(List.of(v), failure("view " + v.qualifiedName(), e));
      }
      pipelines.put(v, pipeline);
      if (!pipeline.insertOnly()) {
        consolidated.put(v, new ZSet());
      }
      for (TableShape t : v.sources()) {
        tables.merge(t.qualifiedName(), t, TableShape::readingAlso);
      }
    }
    for (MaintainedView v : views) {
      try {
        v.sink().deleteAll(writer);
      } catch (SQLException e) {
        throw viewFailed(v, e);
      }
    }
    boolean autoCommit = reader.getAutoCommit();
    reader.setAutoCommit(false);
    try (Statement s = reader.createStatement()) {
      s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      s.execute("SET TRANSACTION SNAPSHOT " + SqlIdentifiers.literal(snapshotName));
      ReadPlan plan = ReadPlan.of(reader, tables.values());
      progress.estimate(plan.estimatedRows());
      for (TableShape table : plan.ordered()) {
        loadTable(reader, writer, table, pipelines, consolidated, progress);
      }
      reader.commit();
    } catch (SQLException | RuntimeException | Error | LoadFailure e) {
      reader.rollback();
      throw e;
    } finally {
      reader.setAutoCommit(autoCommit);
    }
    for (Map.Entry<MaintainedView, ZSet> e : consolidated.entrySet()) {
      MaintainedView v = e.getKey();
      try (ResultTableSink.RowCopy copy = v.sink().copy(writer)) {
        e.getValue().forEach(copy);
        copy.finish();
      } catch (ResultTableSink.RowCopy.Failed f) {
        throw viewFailed(v, f.getCause());
      } catch (SQLException ex) {
        throw viewFailed(v, ex);
      } catch (OutOfMemoryError ex) {
        abandon(pipelines, consolidated);
        throw viewFailed(v, ex);
      }
      e.setValue(null); // the consolidated result is written: let it go before the next one is encoded
    }
    return pipelines;
  }

  /**
   * The tables in the order to read them, and PostgreSQL's estimate of their rows, from one catalog read per table.
   *
   * @param ordered ascending order of size on disk. Which table's chunks come last decides how much output a
   *     chunk produces: a chunk of a small table loaded after a big one it joins matches all of the big one's
   *     rows at once, whereas a chunk of the big table loaded last matches a chunk's worth.
   * @param estimatedRows the sum of their {@code reltuples} (kept by VACUUM and ANALYZE), and of their
   *     partitions' or inheritance children's; -1 if one of them was never analyzed
   */
  private record ReadPlan(List<TableShape> ordered, long estimatedRows) {

    static ReadPlan of(Connection reader, Iterable<TableShape> tables) throws SQLException {
      Map<TableShape, Long> sizes = new HashMap<>();
      long rows = 0;
      // A query over a partitioned table or an inheritance parent reads its descendants too: theirs are summed
      // (a partitioned table holds no rows itself, and has no estimate of its own).
      try (PreparedStatement ps = reader.prepareStatement("WITH RECURSIVE t(oid) AS (SELECT ?::regclass::oid"
          + " UNION SELECT i.inhrelid FROM t JOIN pg_inherits i ON i.inhparent = t.oid)"
          + " SELECT coalesce(sum(pg_relation_size(c.oid)), 0)::bigint,"
          + " CASE WHEN bool_or(c.reltuples < 0) THEN -1 ELSE coalesce(sum(c.reltuples), 0) END::bigint"
          + " FROM t JOIN pg_class c ON c.oid = t.oid WHERE c.relkind <> 'p'")) {
        for (TableShape t : tables) {
          ps.setString(1, SqlIdentifiers.quote(t.schema(), t.name()));
          try (ResultSet rs = ps.executeQuery()) {
            boolean found = rs.next();
            sizes.put(t, found ? rs.getLong(1) : 0L);
            long estimate = found ? rs.getLong(2) : -1;
            rows = rows < 0 || estimate < 0 ? -1 : rows + estimate;
          }
        }
      }
      List<TableShape> ordered = new ArrayList<>(sizes.keySet());
      ordered.sort(Comparator.comparingLong(sizes::get));
      return new ReadPlan(ordered, rows);
    }
  }

  private static void loadTable(Connection reader, Connection writer, TableShape table,
      Map<MaintainedView, ViewPipeline> pipelines, Map<MaintainedView, ZSet> consolidated, SnapshotProgress progress)
      throws SQLException, LoadFailure {
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
    try (Statement s = reader.createStatement()) {
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
          progress.rowRead();
          if (chunk.size() >= CHUNK_ROWS) {
            feed(writer, table, chunk, pipelines, consolidated);
            chunk = new ZSet(CHUNK_ROWS);
          }
          if (rows % PROGRESS_EVERY == 0) {
            LOG.log(System.Logger.Level.INFO, "snapshot of " + table.qualifiedName() + ": " + rows + " rows; the"
                + " load: " + progress.describe());
          }
        }
        feed(writer, table, chunk, pipelines, consolidated);
      }
    } catch (SQLException e) {
      if (isTransient(e)) {
        throw e;
      }
      // PostgreSQL refused to read the table (dropped, no privilege, a value it cannot output): the views that
      // read it fail, the others do not.
      throw new LoadFailure(readers(table, pipelines), failure("table " + table.qualifiedName(), e));
    } catch (RuntimeException e) {
      // Parsing a value failed while reading rows every view of this table shares.
      throw new LoadFailure(readers(table, pipelines), failure("table " + table.qualifiedName(), e));
    } catch (OutOfMemoryError e) {
      // The heap ran out while reading rows: the views of this table fail (their state filled it).
      List<MaintainedView> failing = readers(table, pipelines);
      abandon(pipelines, consolidated);
      throw new LoadFailure(failing, failure("table " + table.qualifiedName(), e));
    }
    progress.tableDone();
    LOG.log(System.Logger.Level.INFO, "snapshot of " + table.qualifiedName() + " done: " + rows + " rows");
  }

  private static List<MaintainedView> readers(TableShape table, Map<MaintainedView, ViewPipeline> pipelines) {
    return pipelines.keySet().stream().filter(v -> v.sourceIndexes(table.qualifiedName()) != null).toList();
  }

  /**
   * Pushes one chunk of {@code table} through every view that reads it: an insert-only view's output goes
   * straight into a COPY of its result table, any other's is added to its consolidated result.
   */
  private static void feed(Connection writer, TableShape table, ZSet chunk,
      Map<MaintainedView, ViewPipeline> pipelines, Map<MaintainedView, ZSet> consolidated)
      throws SQLException, LoadFailure {
    if (chunk.isEmpty()) {
      return;
    }
    for (Map.Entry<MaintainedView, ViewPipeline> e : pipelines.entrySet()) {
      MaintainedView v = e.getKey();
      int[] indexes = v.sourceIndexes(table.qualifiedName());
      if (indexes == null) {
        continue;
      }
      Map<Integer, ZSet> deltas = new HashMap<>();
      for (int index : indexes) {
        deltas.put(index, chunk);
      }
      ZSet result = consolidated.get(v);
      try {
        if (result != null) {
          result.addAll(e.getValue().onChanges(deltas));
        } else {
          try (ResultTableSink.RowCopy copy = v.sink().copy(writer)) {
            e.getValue().onChanges(deltas, copy);
            copy.finish();
          }
        }
      } catch (ResultTableSink.RowCopy.Failed f) {
        throw viewFailed(v, f.getCause());
      } catch (SQLException | RuntimeException ex) {
        throw viewFailed(v, ex);
      } catch (OutOfMemoryError oom) {
        // This attempt is over: let go of its operator state before allocating anything (the error, a log line).
        result = null;
        abandon(pipelines, consolidated);
        throw viewFailed(v, oom);
      }
      String full = HeapGuard.nearlyFull();
      if (full != null) {
        // Stop before the JVM runs out: its OutOfMemoryError could strike any thread.
        result = null;
        abandon(pipelines, consolidated);
        throw new LoadFailure(List.of(v), new SQLException("out of memory loading view " + v.qualifiedName()
            + ": live data filled " + full + " of the heap's old generation (the limit is "
            + Math.round(HeapGuard.LIMIT * 100) + "%); the views' operator state does not fit in the engine JVM's"
            + " heap (-Xmx)", SqlStates.OUT_OF_MEMORY));
      }
    }
  }

  /**
   * Drops every reference an abandoned attempt holds to operator state and consolidated results, so that after
   * an {@link OutOfMemoryError} the heap is free again before the failure is reported.
   */
  private static void abandon(Map<MaintainedView, ViewPipeline> pipelines, Map<MaintainedView, ZSet> consolidated) {
    pipelines.replaceAll((v, p) -> null);
    consolidated.replaceAll((v, z) -> null);
  }

  /**
   * {@code view} failed with {@code cause}; a transient SQL failure (the writer's connection lost) is no
   * view's fault and is thrown as it is.
   */
  private static LoadFailure viewFailed(MaintainedView view, Throwable cause) throws SQLException {
    if (cause instanceof SQLException s && isTransient(s)) {
      throw s;
    }
    return new LoadFailure(List.of(view), failure("view " + view.qualifiedName(), cause));
  }

  /**
   * The error a load failed with: PostgreSQL's own exception as it is; an {@link OutOfMemoryError} as
   * {@code 53200} saying what was being loaded; an error evaluating the view's expressions on a row with the
   * SQLState and message PostgreSQL's own would have had (the caller logs which view); anything else thrown by
   * a pipeline as an internal error ({@link ViewFailure#of}).
   *
   * @param what "view x" or "table t": what was being loaded
   */
  private static SQLException failure(String what, Throwable cause) {
    if (cause instanceof SQLException s) {
      return s;
    }
    if (cause instanceof OutOfMemoryError) {
      return new SQLException("out of memory loading " + what + " (" + cause.getMessage() + "): the views' operator"
          + " state does not fit in the engine JVM's heap (-Xmx)", SqlStates.OUT_OF_MEMORY, cause);
    }
    // An error computing the view's expressions on a row gets PostgreSQL's SQLState for it, as running the
    // view's query would have raised (e.g. 22012 division by zero); anything else is an internal error.
    ViewFailure why = ViewFailure.of(cause);
    return new SQLException(why.message(), why.sqlState(), cause);
  }

  /** Connection loss, server shutdown or a serialization failure: not the fault of the views being read. */
  private static boolean isTransient(SQLException e) {
    String state = e.getSQLState();
    return state != null && (state.startsWith("08") || state.startsWith("57P") || state.equals("40001")
        || state.equals(SqlStates.DEADLOCK_DETECTED));
  }

  /** Some views cannot be loaded; the load goes on without them. */
  private static final class LoadFailure extends Exception {
    final List<MaintainedView> views;
    final SQLException error;

    LoadFailure(List<MaintainedView> views, SQLException error) {
      super(error.getMessage(), error, false, false);
      this.views = views;
      this.error = error;
    }
  }
}
