package io.deltaview.driver.runtime;

import io.deltaview.engine.Engine;
import io.deltaview.engine.EngineConfig;
import io.deltaview.engine.EngineRegistry;
import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.rewriter.QueryRewriter;
import io.deltaview.rewriter.RewriteDecision;
import io.deltaview.rewriter.ViewDefinition;
import io.deltaview.rewriter.schema.CatalogSchema;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What every Deltaview connection to one database shares in this JVM: the engine (when this JVM maintains
 * the views) and the query rewriter over the views that are ready. The rewriter is an immutable object
 * swapped whole when views or the schema change, so the per-query path reads one volatile field.
 */
final class DatabaseRuntime {

  private static final System.Logger LOG = System.getLogger(DatabaseRuntime.class.getName());
  private static final Map<String, DatabaseRuntime> RUNTIMES = new ConcurrentHashMap<>();

  private final EngineConfig config;
  private final Engine engine;
  private volatile QueryRewriter rewriter;
  private volatile boolean schemaStale;

  private DatabaseRuntime(EngineConfig config, Engine engine) {
    this.config = config;
    this.engine = engine;
  }

  /** The runtime of {@code config}'s database; starts the engine there if {@code embedded}. */
  static DatabaseRuntime forDatabase(EngineConfig config, boolean embedded) throws SQLException {
    String key = config.pgUrl() + (embedded ? "#embedded" : "#none");
    DatabaseRuntime runtime = RUNTIMES.get(key);
    if (runtime != null) {
      return runtime;
    }
    synchronized (RUNTIMES) {
      runtime = RUNTIMES.get(key);
      if (runtime == null) {
        Engine engine = null;
        if (embedded) {
          try {
            engine = EngineRegistry.engineFor(config);
          } catch (SQLException e) {
            if (!"55000".equals(e.getSQLState())) {
              throw e;
            }
            LOG.log(System.Logger.Level.WARNING, e.getMessage() + "; this JVM will only rewrite queries");
          }
        }
        runtime = new DatabaseRuntime(config, engine);
        if (engine != null) {
          DatabaseRuntime r = runtime;
          engine.addViewListener(r::refreshQuietly);
        }
        runtime.refresh();
        RUNTIMES.put(key, runtime);
      }
      return runtime;
    }
  }

  /** Forgets all runtimes (tests that restart engines use it together with {@link EngineRegistry#stop}). */
  static void forgetAll() {
    RUNTIMES.clear();
  }

  Engine engine() {
    return engine;
  }

  EngineConfig config() {
    return config;
  }

  RewriteDecision rewrite(String sql) {
    if (schemaStale) {
      refreshQuietly();
    }
    return rewriter.rewrite(sql);
  }

  /** The schema may have changed (DDL went through a Deltaview connection): reload before the next rewrite. */
  void schemaChanged() {
    schemaStale = true;
  }

  void refreshQuietly() {
    try {
      refresh();
    } catch (SQLException e) {
      LOG.log(System.Logger.Level.WARNING, "refreshing Deltaview's view of the schema failed: " + e.getMessage());
    }
  }

  /** Rebuilds the rewriter from the current schema and the ready views. */
  synchronized void refresh() throws SQLException {
    schemaStale = false;
    try (Connection c = DriverManager.getConnection(config.pgUrl(), config.properties())) {
      CatalogSchema schema = CatalogSchema.load(c);
      List<ViewRecord> ready = new ArrayList<>();
      if (engine != null) {
        ready.addAll(engine.readyViews());
      } else {
        for (ViewRecord r : Catalog.loadViews(c)) {
          if ("ready".equals(r.status())) {
            ready.add(r);
          }
        }
      }
      List<ViewDefinition> definitions = new ArrayList<>();
      for (ViewRecord r : ready) {
        definitions.add(new ViewDefinition(r.qualifiedName(), r.schema(), r.name(), r.definition(),
            Catalog.columnsOf(c, r.schema(), r.name()).stream().map(col -> col.name()).toList()));
      }
      rewriter = QueryRewriter.create(schema, definitions);
    }
  }
}
