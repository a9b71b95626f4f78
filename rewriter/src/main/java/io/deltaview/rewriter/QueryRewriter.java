package io.deltaview.rewriter;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import io.deltaview.rewriter.match.CompiledView;
import io.deltaview.rewriter.match.RewritePlanner;
import io.deltaview.rewriter.schema.CatalogSchema;
import io.deltaview.rewriter.sql.SqlFrontEnd;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Entry point for the driver: given the SQL an application executes, says whether a registered incremental
 * view answers it and, if so, returns SQL over the view's result table with the same rows, labels and types.
 *
 * <p>Immutable: one instance is bound to one catalog snapshot and one set of views, and owns the decision
 * cache for exactly that pair. {@link #withSchema} and {@link #withViews} return a new instance with an
 * empty cache, so a stale decision can never be served; the driver keeps the current instance in a
 * volatile field. A repeated SQL string costs one cache lookup (strong keys: no lookup-key allocation).
 */
public final class QueryRewriter {
  private static final System.Logger LOG = System.getLogger(QueryRewriter.class.getName());
  private static final long DEFAULT_CACHE_SIZE = 10_000;

  private final CatalogSchema schema;
  private final List<ViewDefinition> views;
  private final Map<String, String> unusableViews;
  private final LoadingCache<String, RewriteDecision> decisions;

  private QueryRewriter(CatalogSchema schema, List<ViewDefinition> views) {
    this.schema = Objects.requireNonNull(schema, "schema");
    this.views = List.copyOf(views);
    SqlFrontEnd frontEnd = new SqlFrontEnd(schema);
    List<CompiledView> compiled = new ArrayList<>();
    Map<String, String> unusable = new LinkedHashMap<>();
    for (ViewDefinition v : this.views) {
      try {
        compiled.add(CompiledView.compile(v, frontEnd));
      } catch (SQLException | RuntimeException e) {
        // The view stays registered for maintenance; it just never answers queries.
        unusable.put(v.qualifiedName(), e.getMessage());
        LOG.log(System.Logger.Level.INFO, "View {0} is not used for query rewriting: {1}",
            v.qualifiedName(), e.getMessage());
      }
    }
    this.unusableViews = Map.copyOf(unusable);
    RewritePlanner planner = new RewritePlanner(frontEnd, compiled);
    // Maintenance (draining the read buffers, eviction) runs on the calling thread, a few entries at a time:
    // Caffeine's default hands it to ForkJoinPool.commonPool() every few reads, and that thread wake-up cost
    // the query path ~3% of a 60 µs query on 2 cores, which no CPU profile of this thread shows.
    this.decisions = Caffeine.newBuilder()
        .maximumSize(DEFAULT_CACHE_SIZE)
        .executor(Runnable::run)
        .build(sql -> decideSafely(planner, sql));
  }

  /** A rewriter over {@code schema} with the given views (which may be empty). */
  public static QueryRewriter create(CatalogSchema schema, List<ViewDefinition> views) {
    return new QueryRewriter(schema, views);
  }

  /** Same views over a new catalog snapshot; returns {@code this} when the snapshot is unchanged. */
  public QueryRewriter withSchema(CatalogSchema newSchema) {
    return newSchema.equals(schema) ? this : new QueryRewriter(newSchema, views);
  }

  /** Same catalog with a new set of views; returns {@code this} when the set is unchanged. */
  public QueryRewriter withViews(List<ViewDefinition> newViews) {
    return newViews.equals(views) ? this : new QueryRewriter(schema, newViews);
  }

  /** Decides for one SQL string; never throws for bad SQL (the decision is then a pass-through). */
  public RewriteDecision rewrite(String sql) {
    return decisions.get(sql);
  }

  public CatalogSchema schema() {
    return schema;
  }

  public List<ViewDefinition> views() {
    return views;
  }

  /** Views that cannot answer queries, with the reason (e.g. HAVING in the view, missing result table). */
  public Map<String, String> unusableViews() {
    return unusableViews;
  }

  private static RewriteDecision decideSafely(RewritePlanner planner, String sql) {
    try {
      return planner.decide(sql);
    } catch (RuntimeException | AssertionError e) {
      LOG.log(System.Logger.Level.WARNING, "Deltaview rewriter bug, passing through: " + sql, e);
      return RewriteDecision.passThrough(sql, "internal error: " + e, java.util.Set.of(), 0);
    }
  }
}
