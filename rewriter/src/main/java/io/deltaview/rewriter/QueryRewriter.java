package io.deltaview.rewriter;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.deltaview.rewriter.match.CompiledView;
import io.deltaview.rewriter.match.RewritePlanner;
import io.deltaview.rewriter.schema.CatalogSchema;
import io.deltaview.rewriter.sql.SqlFrontEnd;
import io.deltaview.rewriter.sql.QueryShape;
import java.sql.SQLException;
import org.apache.calcite.rel.RelRoot;
import org.apache.calcite.rel.type.RelDataType;
import io.deltaview.rewriter.sql.NumericCommonType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Entry point for the driver: given the SQL an application executes, says whether a registered incremental
 * view answers it and, if so, returns SQL over the view's result table with the same rows, labels and types.
 *
 * <p>Immutable: one instance is bound to one catalog snapshot, one set of views and one set of refusals (views
 * that match but may not answer, e.g. because the connection's role may not read what they read), and owns the
 * decision cache for exactly that combination. {@link #withSchema}, {@link #withViews} and {@link #withRefusals}
 * return a new instance with an empty cache, so a stale decision can never be served; the driver keeps the
 * current instance in a volatile field. A repeated SQL string costs one cache lookup (strong keys: no
 * lookup-key allocation). A text not seen before is looked up by its shape, its literals lifted
 * ({@link ShapeDecisions}), and planned only when no decision for the shape holds for its values. A planned
 * text's decision is cached by its text; one served by its shape only once the text comes again
 * ({@link SeenTexts}).
 */
public final class QueryRewriter {
  private static final System.Logger LOG = System.getLogger(QueryRewriter.class.getName());
  private static final long DEFAULT_CACHE_SIZE = 10_000;
  /** At most this many catalog snapshots held by the compiled views ({@link #boundSnapshots}). */
  private static final int MAX_SNAPSHOTS = 4;

  private final CatalogSchema schema;
  private final List<ViewDefinition> views;
  private final SqlFrontEnd frontEnd;
  private final List<CompiledView> compiled;
  /** The catalog snapshot each of {@link #compiled} was compiled against. */
  private final List<CatalogSchema> compiledOn;
  private final Map<String, String> unusableViews;
  private final Map<String, String> refusals;
  /** The values the views' definitions hold ({@link QueryShape#constants}). */
  private final Set<String> viewConstants;
  private final ShapeDecisions shapes;
  private final Cache<String, RewriteDecision> decisions;
  private final SeenTexts seen = new SeenTexts();

  /**
   * @param previous a rewriter whose compiled views are taken over where nothing they depend on changed
   *     ({@link #reusable}), or null: a view created or dropped then compiles that view alone, not every view
   */
  private QueryRewriter(CatalogSchema schema, List<ViewDefinition> views, QueryRewriter previous) {
    this.schema = Objects.requireNonNull(schema, "schema");
    this.views = List.copyOf(views);
    this.frontEnd = new SqlFrontEnd(schema);
    List<CompiledView> compiledViews = new ArrayList<>();
    List<CatalogSchema> compiledOn = new ArrayList<>();
    Map<String, String> unusable = new LinkedHashMap<>();
    SqlFrontEnd viewTyping = SqlFrontEnd.forViews(schema);
    Map<ViewDefinition, Integer> before = new HashMap<>();
    if (previous != null) {
      for (int i = 0; i < previous.compiled.size(); i++) {
        before.put(previous.compiled.get(i).definition(), i);
      }
    }
    for (ViewDefinition v : this.views) {
      Integer earlier = before.get(v);
      CompiledView view = earlier != null && reusable(previous.compiled.get(earlier), previous.schema, schema)
          ? previous.compiled.get(earlier) : null;
      if (view != null) {
        compiledViews.add(view);
        compiledOn.add(previous.compiledOn.get(earlier));
      } else {
        view = compile(v, viewTyping, unusable);
        if (view != null) {
          compiledViews.add(view);
          compiledOn.add(schema);
        }
      }
    }
    boundSnapshots(compiledViews, compiledOn, viewTyping, unusable);
    this.compiled = List.copyOf(compiledViews);
    this.compiledOn = List.copyOf(compiledOn);
    this.unusableViews = Map.copyOf(unusable);
    this.refusals = Map.of();
    this.viewConstants = Set.copyOf(QueryShape.constants(
        this.views.stream().map(ViewDefinition::definitionSql).toList()));
    this.shapes = new ShapeDecisions(new RewritePlanner(frontEnd, compiled, refusals), viewConstants);
    this.decisions = newCache();
  }

  /** {@code v} compiled against this catalog, or null with the reason in {@code unusable}. */
  private CompiledView compile(ViewDefinition v, SqlFrontEnd viewTyping, Map<String, String> unusable) {
    try {
      RelRoot asQuery = frontEnd.toRel(v.definitionSql());
      String mixed = mixedScaleNumericColumn(viewTyping, v, asQuery.validatedRowType);
      if (mixed != null) {
        throw new SQLException("its column " + mixed + " is plain numeric where numerics of other types meet (a"
            + " set operation, CASE, COALESCE…), so its values keep their own scales, which the rewriter's"
            + " typing does not follow");
      }
      return CompiledView.compile(v, frontEnd, asQuery);
    } catch (SQLException | RuntimeException e) {
      // The view stays registered for maintenance; it just never answers queries.
      unusable.put(v.qualifiedName(), e.getMessage());
      LOG.log(System.Logger.Level.INFO, "View {0} is not used for query rewriting: {1}",
          v.qualifiedName(), e.getMessage());
      return null;
    }
  }

  /**
   * A compiled view holds on to the catalog snapshot it was compiled against (its plan's tables reach the
   * whole snapshot), so taking views over without end would keep one snapshot per CREATE. Beyond
   * {@link #MAX_SNAPSHOTS} snapshots, the views of the snapshot that holds the fewest are compiled again against
   * this one: after views are created one by one, that is one view per CREATE, not all of them.
   */
  private void boundSnapshots(List<CompiledView> views, List<CatalogSchema> on, SqlFrontEnd viewTyping,
      Map<String, String> unusable) {
    while (true) {
      Map<CatalogSchema, List<Integer>> bySnapshot = new IdentityHashMap<>();
      for (int i = 0; i < views.size(); i++) {
        bySnapshot.computeIfAbsent(on.get(i), k -> new ArrayList<>()).add(i);
      }
      bySnapshot.putIfAbsent(schema, List.of());
      if (bySnapshot.size() <= MAX_SNAPSHOTS) {
        return;
      }
      List<Integer> fewest = null;
      for (Map.Entry<CatalogSchema, List<Integer>> e : bySnapshot.entrySet()) {
        if (e.getKey() != schema && (fewest == null || e.getValue().size() < fewest.size())) {
          fewest = e.getValue();
        }
      }
      for (int i = fewest.size() - 1; i >= 0; i--) {
        int at = fewest.get(i);
        CompiledView again = compile(views.get(at).definition(), viewTyping, unusable);
        if (again == null) {
          views.remove(at);
          on.remove(at);
        } else {
          views.set(at, again);
          on.set(at, schema);
        }
      }
    }
  }

  /** The same compiled views with other refusals: nothing is compiled again. */
  private QueryRewriter(QueryRewriter base, Map<String, String> refusals) {
    this.schema = base.schema;
    this.views = base.views;
    this.frontEnd = base.frontEnd;
    this.compiled = base.compiled;
    this.compiledOn = base.compiledOn;
    this.unusableViews = base.unusableViews;
    this.refusals = Map.copyOf(refusals);
    this.viewConstants = base.viewConstants;
    this.shapes = new ShapeDecisions(new RewritePlanner(frontEnd, compiled, this.refusals), viewConstants);
    this.decisions = newCache();
  }

  /**
   * The first result column of {@code v} that PostgreSQL types as plain {@code numeric} because numerics of
   * other types meet there (as the engine plans the view, {@link SqlFrontEnd#forViews}, and unlike the
   * rewriter's own typing), or null. Such a column
   * holds each value at its own scale (an integer branch's {@code 0} next to {@code 1.50}), while the rewriter's
   * typing gives it the widest scale, so answering a query from it could print {@code 0} where the query gives
   * {@code 0.00}: such a view is not used for rewriting.
   */
  private static String mixedScaleNumericColumn(SqlFrontEnd viewTyping, ViewDefinition v, RelDataType asQuery) {
    RelDataType asView;
    try {
      asView = viewTyping.toRel(v.definitionSql()).validatedRowType;
    } catch (SQLException | RuntimeException e) {
      return null; // its own compilation decides
    }
    return NumericCommonType.mixedScaleColumn(asView, asQuery);
  }

  private static Cache<String, RewriteDecision> newCache() {
    // Maintenance (draining the read buffers, eviction) runs on the calling thread, a few entries at a time:
    // Caffeine's default hands it to ForkJoinPool.commonPool() every few reads, and that thread wake-up cost
    // the query path ~3% of a 60 µs query on 2 cores, which no CPU profile of this thread shows.
    return Caffeine.newBuilder()
        .maximumSize(DEFAULT_CACHE_SIZE)
        .executor(Runnable::run)
        .build();
  }

  /** A rewriter over {@code schema} with the given views (which may be empty). */
  public static QueryRewriter create(CatalogSchema schema, List<ViewDefinition> views) {
    return new QueryRewriter(schema, views, null);
  }

  /**
   * The given views over a new catalog snapshot, with this rewriter's refusals; {@code this} when neither
   * changed. Views whose definition and the tables it depends on are unchanged are not compiled again.
   */
  public QueryRewriter with(CatalogSchema newSchema, List<ViewDefinition> newViews) {
    return newSchema.equals(schema) && newViews.equals(views) ? this
        : new QueryRewriter(newSchema, newViews, this).withRefusals(refusals);
  }

  /** Same views over a new catalog snapshot; returns {@code this} when the snapshot is unchanged. */
  public QueryRewriter withSchema(CatalogSchema newSchema) {
    return with(newSchema, views);
  }

  /** Same catalog with a new set of views; returns {@code this} when the set is unchanged. */
  public QueryRewriter withViews(List<ViewDefinition> newViews) {
    return with(schema, newViews);
  }

  /**
   * Whether {@code view}, compiled against {@code before}, is what compiling it against {@code after} would
   * give: the same search path, and each table it reads (and its result table) the same there, also as its
   * bare name resolves (a table created earlier on the search path would change what an unqualified name
   * means). The catalog holds nothing else a compilation reads.
   */
  private static boolean reusable(CompiledView view, CatalogSchema before, CatalogSchema after) {
    if (!before.searchPath().equals(after.searchPath())) {
      return false;
    }
    ViewDefinition d = view.definition();
    if (!sameTable(before, after, d.resultSchema(), d.resultTable())) {
      return false;
    }
    for (ViewReads.BaseTable t : view.reads().baseTables()) {
      if (!sameTable(before, after, t.schema(), t.table())) {
        return false;
      }
    }
    return true;
  }

  /** How many catalog snapshots the compiled views hold on to ({@link #boundSnapshots}). */
  int snapshotsHeld() {
    Map<CatalogSchema, Boolean> distinct = new IdentityHashMap<>();
    compiledOn.forEach(c -> distinct.put(c, true));
    return distinct.size();
  }

  /** The compiled view named {@code qualifiedName}, or null (unknown or unusable): to see what was reused. */
  CompiledView compiledView(String qualifiedName) {
    return compiled.stream().filter(c -> c.definition().qualifiedName().equals(qualifiedName)).findFirst()
        .orElse(null);
  }

  private static boolean sameTable(CatalogSchema before, CatalogSchema after, String schema, String table) {
    return before.table(schema, table).equals(after.table(schema, table))
        && before.resolve(table).equals(after.resolve(table));
  }

  /**
   * The same views, of which those named in {@code newRefusals} (qualified name → reason) never answer a query;
   * EXPLAIN then gives the reason when one matches. Replaces the previous refusals; returns {@code this} when
   * they are unchanged.
   */
  public QueryRewriter withRefusals(Map<String, String> newRefusals) {
    return newRefusals.equals(refusals) ? this : new QueryRewriter(this, newRefusals);
  }

  /** Decides for one SQL string; never throws for bad SQL (the decision is then a pass-through). */
  public RewriteDecision rewrite(String sql) {
    RewriteDecision d = decisions.getIfPresent(sql);
    if (d != null) {
      return d;
    }
    d = shapes.shared(sql);
    if (d == null) {
      // planned (concurrent callers of one text wait for one planning), and cached by its text
      return decisions.get(sql, shapes::decide);
    }
    if (seen.seenBefore(sql)) {
      decisions.put(sql, d);
    }
    return d;
  }

  /** Whether the first level holds {@code sql}'s decision; for tests. */
  boolean cachedByText(String sql) {
    return decisions.getIfPresent(sql) != null;
  }

  /** How the texts of {@code sql}'s shape are decided now; for tests. */
  ShapeDecisions.Sharing sharing(String sql) {
    return shapes.sharing(sql);
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

  /** The views refused to this rewriter's queries, with the reason. */
  public Map<String, String> refusals() {
    return refusals;
  }

  /** What each usable view reads (its result table and base-table columns), in view order. */
  public List<ViewReads> reads() {
    List<ViewReads> out = new ArrayList<>(compiled.size());
    for (CompiledView v : compiled) {
      out.add(v.reads());
    }
    return out;
  }
}
