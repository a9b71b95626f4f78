package io.deltaview.driver.metrics;

import io.deltaview.engine.Engine;
import io.deltaview.engine.EngineRegistry;
import io.deltaview.engine.spill.StateMemory;
import io.deltaview.engine.view.MaintainedView;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Deltaview's Micrometer meters: per view, per database (tag {@code database}) and for the driver's query routing,
 * for every engine and database this JVM's Deltaview connections use. Bind it to the application's registry
 * ({@code new DeltaviewMeters().bindTo(registry)}; Spring Boot binds every {@link MeterBinder} bean), or let the
 * driver bind one to Micrometer's global registry ({@link #bindGlobal}, done by the first Deltaview connection
 * when Micrometer is on the class path unless {@code -Ddeltaview.metrics=off}).
 *
 * <p>Views and databases come and go: every {@code deltaview.metersRefreshMillis} (5 s) the meters are brought in
 * line with the engines and views there are now, and those of dropped views are removed from the registry. Every
 * meter reads what the engine and driver keep in memory: a scrape runs no query.
 *
 * <p>Meters (Prometheus names in parentheses):
 * <ul>
 *   <li>per view (tags {@code database}, {@code view}): {@code deltaview.view.staleness}
 *       ({@code deltaview_view_staleness_seconds}; NaN unless ready), {@code deltaview.view.rows},
 *       {@code deltaview.view.state.size} (bytes, as its last checkpoint serialized it),
 *       {@code deltaview.view.changes.applied} (counter: rows inserted plus deleted in its result table),
 *       {@code deltaview.view.queries.served} (counter), {@code deltaview.view.ready} (1 or 0);</li>
 *   <li>per database maintained here: {@code deltaview.staleness}, {@code deltaview.slot.retained.wal} (bytes),
 *       {@code deltaview.snapshot.rows.read} and {@code deltaview.snapshot.rows.estimated} (the loads under way),
 *       counters {@code deltaview.snapshot.loads}, {@code deltaview.checkpoint.resumes},
 *       {@code deltaview.view.failures}, {@code deltaview.checkpoints.written},
 *       {@code deltaview.checkpoint.failures};</li>
 *   <li>per database queried here: counters {@code deltaview.queries.served}, {@code deltaview.queries.passed}
 *       (tag {@code reason}, see {@link RouteStats.PassThrough}), {@code deltaview.strong.waits} and
 *       {@code deltaview.strong.wait} (seconds waited in all);</li>
 *   <li>for the process: {@code deltaview.state.memory.used} and {@code deltaview.state.memory.limit} (bytes).</li>
 * </ul>
 */
public final class DeltaviewMeters implements MeterBinder, AutoCloseable {

  private static final long REFRESH_MS = Math.max(100, Long.getLong("deltaview.metersRefreshMillis", 5_000));
  private static volatile DeltaviewMeters global;

  /**
   * What a group of meters describes (an engine, a view, a database's routing), and the meters. Weakly, as the
   * meters themselves hold it: a stopped engine's views and their operator state must not outlive it here.
   */
  private record Bound(java.lang.ref.WeakReference<Object> subject, List<Meter> meters) {
  }

  private final Object lock = new Object();
  private final Map<String, Bound> bound = new HashMap<>();
  private MeterRegistry registry;
  private ScheduledExecutorService timer;

  /**
   * Binds meters to Micrometer's global registry once per JVM (Spring Boot adds its registry to it by default);
   * the driver calls it when its first database runtime starts, unless {@code -Ddeltaview.metrics=off}.
   */
  public static void bindGlobal() {
    if (global == null && !"off".equals(System.getProperty("deltaview.metrics"))) {
      synchronized (DeltaviewMeters.class) {
        if (global == null) {
          DeltaviewMeters meters = new DeltaviewMeters();
          meters.bindTo(Metrics.globalRegistry);
          global = meters;
        }
      }
    }
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    synchronized (lock) {
      if (this.registry != null) {
        throw new IllegalStateException("Deltaview's meters are bound to a registry already; make another"
            + " DeltaviewMeters for another registry");
      }
      this.registry = registry;
      refresh();
      timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "deltaview-meters");
        t.setDaemon(true);
        return t;
      });
      timer.scheduleWithFixedDelay(this::refreshQuietly, REFRESH_MS, REFRESH_MS, TimeUnit.MILLISECONDS);
    }
  }

  /** Stops following engines and views, and removes every meter this binder registered. */
  @Override
  public void close() {
    synchronized (lock) {
      if (timer != null) {
        timer.shutdownNow();
      }
      if (registry != null) {
        bound.values().forEach(b -> b.meters().forEach(registry::remove));
      }
      bound.clear();
    }
  }

  private void refreshQuietly() {
    try {
      refresh();
    } catch (RuntimeException e) {
      System.getLogger(DeltaviewMeters.class.getName()).log(System.Logger.Level.DEBUG,
          () -> "refreshing Deltaview's meters failed: " + e);
    }
  }

  /** Registers the meters of engines, views and databases that appeared, and removes those of the ones gone. */
  void refresh() {
    synchronized (lock) {
      if (registry == null) {
        return;
      }
      Set<String> seen = new HashSet<>();
      ensure("process", StateMemory.global(), seen, () -> processMeters(StateMemory.global()));
      for (Map.Entry<String, Engine> e : EngineRegistry.all().entrySet()) {
        Engine engine = e.getValue();
        Tags database = Tags.of("database", engine.config().database());
        ensure("engine " + e.getKey(), engine, seen, () -> engineMeters(engine, database));
        for (MaintainedView v : engine.maintainedViews()) {
          ensure("view " + e.getKey() + " " + v.qualifiedName(), v, seen,
              () -> viewMeters(engine, v, database.and("view", v.qualifiedName())));
        }
      }
      for (Map.Entry<String, RouteStats> r : RouteStats.all().entrySet()) {
        RouteStats stats = r.getValue();
        ensure("routes " + r.getKey(), stats, seen, () -> routeMeters(stats, Tags.of("database", stats.database())));
      }
      bound.entrySet().removeIf(b -> {
        if (seen.contains(b.getKey())) {
          return false;
        }
        b.getValue().meters().forEach(registry::remove);
        return true;
      });
    }
  }

  private void ensure(String key, Object subject, Set<String> seen, Supplier<List<Meter>> meters) {
    seen.add(key);
    Bound b = bound.get(key);
    if (b != null && b.subject().get() == subject) {
      return;
    }
    if (b != null) {
      b.meters().forEach(registry::remove); // e.g. a view dropped and created again: new counters
    }
    bound.put(key, new Bound(new java.lang.ref.WeakReference<>(subject), meters.get()));
  }

  private List<Meter> processMeters(StateMemory memory) {
    return List.of(
        Gauge.builder("deltaview.state.memory.used", memory, StateMemory::used).baseUnit("bytes")
            .description("Operator state held on the heap, as the operators estimate it").register(registry),
        Gauge.builder("deltaview.state.memory.limit", memory, StateMemory::limit).baseUnit("bytes")
            .description("The memory budget of operator state (deltaview.engine.memory)").register(registry));
  }

  private List<Meter> engineMeters(Engine engine, Tags tags) {
    List<Meter> m = new ArrayList<>();
    m.add(TimeGauge.builder("deltaview.staleness", engine, TimeUnit.MILLISECONDS, DeltaviewMeters::stalenessMs)
        .tags(tags).description("The ready views reflect every transaction committed longer ago than this")
        .register(registry));
    m.add(Gauge.builder("deltaview.slot.retained.wal", engine, e -> orNaN(e.retainedWalBytes())).baseUnit("bytes")
        .tags(tags).description("WAL the database's replication slot holds back").register(registry));
    m.add(Gauge.builder("deltaview.snapshot.rows.read", engine, Engine::snapshotRowsRead).tags(tags).baseUnit("rows")
        .description("Base-table rows read by the snapshot loads under way").register(registry));
    m.add(Gauge.builder("deltaview.snapshot.rows.estimated", engine, e -> orNaN(e.snapshotRowsEstimated())).tags(tags)
        .baseUnit("rows").description("PostgreSQL's estimate of the rows the loads under way read in all (NaN:"
            + " a table was never analyzed)").register(registry));
    m.add(counter("deltaview.snapshot.loads", engine, Engine::snapshotLoads, tags, "Views loaded from a snapshot"));
    m.add(counter("deltaview.checkpoint.resumes", engine, Engine::checkpointResumes, tags,
        "Views resumed from their checkpoint"));
    m.add(counter("deltaview.view.failures", engine, Engine::viewFailures, tags, "View failures"));
    m.add(counter("deltaview.checkpoints.written", engine, e -> e.checkpointStats().written(), tags,
        "Checkpoints written"));
    m.add(counter("deltaview.checkpoint.failures", engine, e -> e.checkpointStats().failures(), tags,
        "Checkpoints that could not be written"));
    return m;
  }

  private List<Meter> viewMeters(Engine engine, MaintainedView view, Tags tags) {
    String name = view.qualifiedName();
    return List.of(
        TimeGauge.builder("deltaview.view.staleness", view, TimeUnit.MILLISECONDS,
            v -> v.state() == MaintainedView.State.ACTIVE ? stalenessMs(engine) : Double.NaN).tags(tags)
            .description("The view reflects every transaction committed longer ago than this (NaN unless ready)")
            .register(registry),
        Gauge.builder("deltaview.view.rows", view, v -> orNaN(v.activity().rows())).tags(tags).baseUnit("rows")
            .description("Rows of the view's result table").register(registry),
        Gauge.builder("deltaview.view.state.size", view, v -> orNaN(v.activity().stateBytes())).tags(tags)
            .baseUnit("bytes").description("The view's operator state as its last checkpoint serialized it (NaN"
                + " before the first)").register(registry),
        Gauge.builder("deltaview.view.ready", view, v -> v.state() == MaintainedView.State.ACTIVE ? 1 : 0)
            .tags(tags).description("1 while the view is ready (maintained and servable), else 0").register(registry),
        counter("deltaview.view.changes.applied", view, v -> v.activity().changesApplied(), tags,
            "Rows inserted plus rows deleted in the view's result table"),
        counter("deltaview.view.queries.served", engine, e -> e.hits(name), tags, "Queries served from the view"));
  }

  private List<Meter> routeMeters(RouteStats stats, Tags tags) {
    List<Meter> m = new ArrayList<>();
    m.add(counter("deltaview.queries.served", stats, RouteStats::servedCount, tags,
        "Queries the driver rewrote to read a view"));
    for (RouteStats.PassThrough cause : RouteStats.PassThrough.values()) {
      m.add(counter("deltaview.queries.passed", stats, s -> s.passedThroughCount(cause),
          tags.and("reason", cause.tag()), "Statements the driver passed to PostgreSQL unchanged, by reason"));
    }
    m.add(counter("deltaview.strong.waits", stats, RouteStats::strongWaitCount, tags,
        "Strong reads that waited for the views to be current"));
    m.add(FunctionCounter.builder("deltaview.strong.wait", stats, s -> s.strongWaitNanos() / 1e9).baseUnit("seconds")
        .tags(tags).description("Time strong reads waited in all").register(registry));
    return m;
  }

  private <T> Meter counter(String name, T subject, java.util.function.ToLongFunction<T> count, Tags tags,
      String description) {
    return FunctionCounter.builder(name, subject, s -> count.applyAsLong(s)).tags(tags).description(description)
        .register(registry);
  }

  private static double stalenessMs(Engine engine) {
    Long ms = engine.stalenessMs();
    return ms == null ? Double.NaN : ms;
  }

  private static double orNaN(long value) {
    return value < 0 ? Double.NaN : value;
  }
}
