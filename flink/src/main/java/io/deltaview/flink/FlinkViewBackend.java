package io.deltaview.flink;

import io.deltaview.engine.EngineConfig;
import io.deltaview.engine.ViewStatus;
import io.deltaview.engine.backend.ViewBackend;
import io.deltaview.engine.catalog.BackendViews;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.catalog.ViewState;
import io.deltaview.engine.ddl.Requester;
import io.deltaview.engine.ddl.ViewRegistration;
import io.deltaview.sql.SqlIdentifiers;
import io.deltaview.sql.SqlStates;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code CREATE INCREMENTAL VIEW … WITH (engine = 'flink')}: views maintained by a Flink job, each in a Flink JVM
 * of its own started by the process that maintains the views ({@code deltaview.flink.rest=local}, the default),
 * with checkpoints under {@code deltaview.flink.workDir} (a system property; default a {@code deltaview-flink}
 * directory in the temporary directory), or on a Flink cluster ({@code deltaview.flink.rest=http://host:port}, see
 * {@link FlinkCluster}). The engine records its views ({@link BackendViews}); this backend keeps their recorded
 * status current, which is how every process knows when one may answer eventual reads. Local jobs stop with the
 * engine (or when it loses the maintainer lock) and the next engine to maintain the database resumes them from
 * their checkpoints; jobs on a cluster keep running, and the next engine finds them again by name (or resumes them
 * from their last checkpoint).
 */
public final class FlinkViewBackend implements ViewBackend {

  private static final System.Logger LOG = System.getLogger(FlinkViewBackend.class.getName());

  /** The views whose jobs run in this process, by database URL and qualified name. */
  private static final Map<String, RunningView> RUNNING = new ConcurrentHashMap<>();

  /**
   * Held while views are created, dropped or resumed, so that a DROP never races a job starting for the same
   * view (whose sources would create its slots again).
   */
  private static final Object LOCK = new Object();

  /** Databases whose engine closed in this process since their views were last resumed. */
  private static final Set<String> CLOSED = ConcurrentHashMap.newKeySet();

  /** Records, about once a second, how each running view stands ({@link RunningView#check}). */
  private static final ScheduledExecutorService MONITOR = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "deltaview-flink-monitor");
    t.setDaemon(true);
    return t;
  });

  static {
    MONITOR.scheduleWithFixedDelay(FlinkViewBackend::monitor, 1, 1, TimeUnit.SECONDS);
  }

  /**
   * How the last error of a view whose first load did not complete begins: such a view is never resumed (a job
   * restored from a checkpoint inside its first snapshot is not exact again, see docs/flink.md, Recovery).
   */
  static final String FIRST_LOAD_LOST = "its first load did not complete, and a Flink job restored from a checkpoint"
      + " inside its first snapshot is not exact again: drop the view and create it again";

  /**
   * A view whose job runs in this process, and what is recorded of it. A created view is {@code snapshotting} until
   * its first load is in the result table: every source reads its replication slot (Flink CDC streams from a
   * source's slot only once the source's snapshot is read) and two checkpoints completed since (the sink flushes at
   * each, and the second began after the sources streamed). Then {@code ready}, which a resumed view is from the
   * start (its job goes on from a checkpoint taken after that load). {@code failed} with why when the job or its JVM
   * ends by itself, or when the job restarted from a checkpoint during its first load ({@link #FIRST_LOAD_LOST}).
   */
  private static final class RunningView {
    final EngineConfig database;
    final FlinkView view;
    /** Set before the job is stopped on purpose (a close or a drop): its end is no failure. */
    volatile boolean stopping;
    /** What this process last recorded. */
    ViewState recorded;
    /** The newest completed checkpoint when every source was first seen streaming; -1 before. */
    long checkpointWhenStreaming = -1;

    RunningView(EngineConfig database, FlinkView view, ViewState recorded) {
      this.database = database;
      this.view = view;
      this.recorded = recorded;
    }

    /** Records a change of where the view stands, as its job tells. Called on the monitor's thread only. */
    void check() throws SQLException {
      if (stopping || recorded == ViewState.FAILED) {
        return;
      }
      FlinkJobRunner runner = view.runner();
      if (!runner.isRunning()) {
        String failure = runner.failure();
        String why = failure != null ? "its Flink job does not run: " + failure : runner.describe() + " ended";
        if (recorded == ViewState.SNAPSHOTTING) {
          why = FIRST_LOAD_LOST + " (" + why + ")";
        }
        try (Connection c = connect(database)) {
          if (!stopping) {
            record(c, ViewState.FAILED, why);
          }
        }
        return;
      }
      if (recorded == ViewState.READY) {
        return;
      }
      try (Connection c = connect(database)) {
        if (runner.restarts() > 0) {
          record(c, ViewState.FAILED, FIRST_LOAD_LOST + " (its job restarted from a checkpoint during it)");
        } else if (checkpointWhenStreaming < 0) {
          if (view.sourcesStreaming(c)) {
            checkpointWhenStreaming = runner.newestCheckpoint();
          }
        } else if (runner.newestCheckpoint() >= checkpointWhenStreaming + 2) {
          record(c, ViewState.READY, null);
        }
      }
    }

    private void record(Connection c, ViewState state, String why) throws SQLException {
      BackendViews.updateStatus(c, view.schema(), view.name(), state, why);
      recorded = state;
      LOG.log(state == ViewState.FAILED ? System.Logger.Level.WARNING : System.Logger.Level.INFO, "Flink view "
          + view.schema() + "." + view.name() + " is " + state.label() + (why == null ? "" : ": " + why));
    }
  }

  private static void monitor() {
    for (RunningView running : RUNNING.values()) {
      try {
        running.check();
      } catch (SQLException | RuntimeException e) {
        LOG.log(System.Logger.Level.DEBUG, "checking Flink view " + running.view.name() + " failed (tried again): "
            + e);
      }
    }
  }

  @Override
  public String name() {
    return "flink";
  }

  @Override
  public void create(EngineConfig database, Requester requester, ViewRecord view) throws SQLException {
    Properties p = database.properties();
    FlinkDatabase db = FlinkDatabase.fromJdbcUrl(database.pgUrl(), p.getProperty("user"), p.getProperty("password"));
    synchronized (LOCK) {
      try (Connection c = connect(database)) {
        FlinkSettings settings = settings(db, view.schema(), view.name());
        // a view Deltaview creates by itself lives in its own schema: the requester needs no CREATE there
        FlinkView running = FlinkViews.create(c, view.schema(), view.name(), view.definition(), db, settings,
            requester, !"sql".equals(view.origin()));
        RUNNING.put(key(database, view.schema(), view.name()),
            new RunningView(database, running, ViewState.SNAPSHOTTING));
      }
    }
  }

  @Override
  public void drop(EngineConfig database, ViewRecord view) throws SQLException {
    synchronized (LOCK) {
      try (Connection c = connect(database)) {
        RunningView running = RUNNING.remove(key(database, view.schema(), view.name()));
        if (running != null) {
          running.stopping = true;
          running.view.drop(c);
        } else {
          Properties p = database.properties();
          FlinkDatabase db = FlinkDatabase.fromJdbcUrl(database.pgUrl(), p.getProperty("user"), null);
          FlinkViews.dropNotRunningHere(c, view.schema(), view.name(), db, settings(db, view.schema(), view.name()));
        }
      }
    }
  }

  /** Resumes this database's Flink views on a thread of its own: each Flink JVM takes a while to start. */
  @Override
  public void resume(EngineConfig database) {
    CLOSED.remove(database.pgUrl());
    Thread t = new Thread(() -> resumeAll(database), "deltaview-flink-resume");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Resumes every recorded view of {@code database} whose job does not run in this process, from its newest
   * checkpoint ({@link FlinkViews#resume}); a view that cannot be resumed (no checkpoint in this machine's work
   * directory, a base table changed) is recorded {@code failed} with why, to be dropped and created again. A view
   * whose first load did not complete is not resumed ({@link #FIRST_LOAD_LOST}).
   */
  static void resumeAll(EngineConfig database) {
    synchronized (LOCK) {
      try (Connection c = connect(database)) {
        Properties p = database.properties();
        FlinkDatabase db = FlinkDatabase.fromJdbcUrl(database.pgUrl(), p.getProperty("user"),
            p.getProperty("password"));
        for (BackendViews.BackendView recorded : BackendViews.load(c, "flink")) {
          ViewRecord v = recorded.view();
          String key = key(database, v.schema(), v.name());
          if (CLOSED.contains(database.pgUrl())) {
            return;
          }
          if (RUNNING.containsKey(key)) {
            continue;
          }
          if (v.status() == ViewState.SNAPSHOTTING) { // the engine stopped during its first load
            String why = FIRST_LOAD_LOST + " (the engine stopped during it)";
            LOG.log(System.Logger.Level.WARNING, "Flink view " + v.qualifiedName() + " is not resumed: " + why);
            BackendViews.updateStatus(c, v.schema(), v.name(), ViewState.FAILED, why);
            continue;
          }
          if (v.status() == ViewState.FAILED && v.lastError() != null && v.lastError().startsWith(FIRST_LOAD_LOST)) {
            continue;
          }
          try {
            if (v.baseTables().isEmpty()) { // recorded by an earlier version, without them
              BackendViews.recordBaseTables(c, v.schema(), v.name(),
                  ViewRegistration.baseTables(c, v.searchPath(), v.timeZone(), v.definition()));
            }
            FlinkSettings settings = settings(db, v.schema(), v.name());
            RUNNING.put(key, new RunningView(database, FlinkViews.resume(c, v.schema(), v.name(), v.definition(),
                v.searchPath(), db, settings), ViewState.READY));
            // served from its table meanwhile, as it was when its job stopped; a job that failed is running again
            BackendViews.updateStatus(c, v.schema(), v.name(), ViewState.READY, null);
            LOG.log(System.Logger.Level.INFO, "Flink view " + v.qualifiedName() + " resumed (its job attached on"
                + " a cluster, or started again from its checkpoint)");
          } catch (SQLException e) {
            String why = "its Flink job could not be resumed: " + e.getMessage() + " (SQLState " + e.getSQLState()
                + "); drop it and create it again";
            LOG.log(System.Logger.Level.WARNING, "Flink view " + v.qualifiedName() + " is not maintained: " + why);
            BackendViews.updateStatus(c, v.schema(), v.name(), ViewState.FAILED, why);
          }
        }
      } catch (SQLException | RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "resuming the Flink views of " + database.database() + " failed: " + e, e);
      } finally {
        if (CLOSED.contains(database.pgUrl())) {
          close(database.pgUrl()); // the engine closed meanwhile: stop what was started after it did
        }
      }
    }
  }

  /**
   * View {@code r} of {@code database} if its job runs in this process (else null): as recorded ({@link
   * BackendViews}: {@code snapshotting} until the first load is complete, then {@code ready}, or {@code failed} with
   * why), with the job and where it runs in {@code progress}, {@code lag_ms} as the job reports it ({@link FlinkJobRunner#lagMs}:
   * commit to fetched by Flink CDC, of the last change fetched), and its slots: {@code applied_lsn} is the lowest
   * position the sources confirmed (the result table holds what came before it), {@code wal_status} the worst
   * slot's, {@code retained_wal_bytes} the most one holds back. Flink's JDBC sink is not transactional, so a ready
   * view is eventually consistent; {@code state_source} is {@code flink}.
   */
  @Override
  public ViewStatus status(EngineConfig database, Connection c, ViewRecord r) throws SQLException {
    RunningView running = RUNNING.get(key(database, r.schema(), r.name()));
    if (running == null) {
      return null; // shown as recorded
    }
    FlinkJobRunner runner = running.view.runner();
    String progress = runner.isRunning() ? runner.describe() + (r.status() == ViewState.SNAPSHOTTING
        ? " (loading its first snapshot)" : " (eventually consistent)") : null;
    FlinkView.Slots slots = running.view.slots(c);
    return new ViewStatus(r.qualifiedName(), r.status(), SqlIdentifiers.quote(r.schema(), r.name()), null,
        runner.isRunning() ? runner.lagMs() : null, slots.confirmedLsn(), null, r.definition(), r.lastError(),
        r.origin(), null, slots.walStatus(), slots.retainedWalBytes(), "flink", null, progress, null);
  }

  /**
   * The job as it runs: which Flink job in which JVM, then its Flink SQL (the sources' and the sink's tables, the
   * password masked, and the {@code INSERT}), one line per row.
   */
  @Override
  public List<String> explain(EngineConfig database, String schema, String name) {
    RunningView running = RUNNING.get(key(database, schema, name));
    if (running == null) {
      return null;
    }
    FlinkView view = running.view;
    FlinkJobRunner runner = view.runner();
    List<String> lines = new ArrayList<>();
    lines.add(runner.describe() + (runner.isRunning() ? "" : " (not running)") + ": result table "
        + SqlIdentifiers.quote(schema, name) + ", eventually consistent");
    lines.addAll(view.describeJob().lines().toList());
    return lines;
  }

  @Override
  public void close(EngineConfig database) {
    CLOSED.add(database.pgUrl());
    close(database.pgUrl());
  }

  private static void close(String pgUrl) {
    String prefix = pgUrl + '\0';
    for (String key : List.copyOf(RUNNING.keySet())) {
      if (key.startsWith(prefix)) {
        RunningView running = RUNNING.remove(key);
        if (running != null) {
          running.stopping = true; // stopped to be resumed: not a failure
          running.view.close();
        }
      }
    }
  }

  /** The views whose jobs this process runs. */
  static java.util.Collection<FlinkView> running() {
    return RUNNING.values().stream().map(r -> r.view).toList();
  }

  /**
   * Where view {@code schema.name}'s Flink JVM keeps its checkpoints and log (the same path on every start), or the
   * Flink cluster that runs its job ({@code deltaview.flink.rest=http://host:port}, with {@code
   * deltaview.flink.checkpointDir} and {@code deltaview.flink.passwordEnv}: {@link FlinkCluster}), and the job's
   * parallelism: {@code deltaview.flink.parallelism} (system properties, read each time a job starts, also when it
   * resumes; default 1).
   */
  private static FlinkSettings settings(FlinkDatabase db, String schema, String name) throws SQLException {
    Path root = Path.of(System.getProperty("deltaview.flink.workDir",
        Path.of(System.getProperty("java.io.tmpdir"), "deltaview-flink").toString()));
    FlinkSettings local = FlinkSettings.local(root.resolve(FlinkViews.replicationName(db.database(), schema, name)));
    int parallelism = Integer.getInteger("deltaview.flink.parallelism", local.parallelism());
    return new FlinkSettings(parallelism, local.checkpointInterval(), local.stateBackend(), local.workDirectory(),
        local.heap(), FlinkCluster.fromSystemProperties(FlinkViews.replicationName(db.database(), schema, name)));
  }

  private static String key(EngineConfig database, String schema, String name) {
    return database.pgUrl() + '\0' + schema + '\0' + name;
  }

  private static Connection connect(EngineConfig database) throws SQLException {
    Properties p = database.properties();
    p.setProperty("ApplicationName", "deltaview-flink");
    Connection c = DriverManager.getConnection(database.pgUrl(), p);
    c.setAutoCommit(true);
    return c;
  }
}
