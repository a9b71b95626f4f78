package io.deltaview.rewriter.match;

import io.deltaview.rewriter.RewriteDecision;
import io.deltaview.rewriter.sql.NumericCommonType;
import io.deltaview.rewriter.sql.SqlFrontEnd;
import java.sql.SQLException;
import io.deltaview.rewriter.sql.SqlText;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.RelRoot;
import org.apache.calcite.rel.RelVisitor;
import org.apache.calcite.rel.core.Sort;
import org.apache.calcite.rel.core.TableScan;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * Decides, for one SQL string, whether and how a registered view answers it. Stateless apart from its
 * immutable inputs; the caller caches decisions.
 *
 * <p>Views may be <em>refused</em>: they match as usual, but are not used, and the pass-through names the
 * refusal (e.g. the connection's role may not read a column the view reads). Refusals are per role, so a
 * planner, like the decisions it makes, belongs to one role.
 */
public final class RewritePlanner {
  private static final System.Logger LOG = System.getLogger(RewritePlanner.class.getName());

  /** Row-locking clauses; the Babel parser does not accept them, so they are recognised up front. */
  private static final Pattern LOCKING = Pattern.compile(
      "\\bfor\\s+(update|share|no\\s+key\\s+update|key\\s+share)\\b", Pattern.CASE_INSENSITIVE);

  private static final String PARAMETERS_REORDERED = "parameters would be reordered: ";
  private static final String ORDER_NOT_TOP = "ORDER BY would not be outermost";
  private static final String UNWRITABLE = "cannot be written for PostgreSQL: ";
  private static final String AVERAGES = " (AVG as SUM / COUNT): ";

  private final SqlFrontEnd frontEnd;
  /** The views' typing (PostgreSQL's common numeric type), for {@link NumericCommonType#mixedScaleColumn}. */
  private final SqlFrontEnd viewTyping;
  private final List<CompiledView> views;
  /** Qualified view name → why the view must not answer this planner's queries. */
  private final Map<String, String> refusals;

  public RewritePlanner(SqlFrontEnd frontEnd, List<CompiledView> views) {
    this(frontEnd, views, Map.of());
  }

  /** A planner that never answers from the views named in {@code refusals}, and says why when one matches. */
  public RewritePlanner(SqlFrontEnd frontEnd, List<CompiledView> views, Map<String, String> refusals) {
    this.frontEnd = frontEnd;
    this.viewTyping = SqlFrontEnd.forViews(frontEnd.catalog());
    this.views = List.copyOf(views);
    this.refusals = Map.copyOf(refusals);
  }

  /** {@link NumericCommonType#mixedScaleColumn} of the query, checked only when it returns a numeric column. */
  private String mixedScaleColumn(String sql, RelRoot root) {
    boolean numeric = false;
    for (org.apache.calcite.rel.type.RelDataTypeField f : root.validatedRowType.getFieldList()) {
      numeric |= f.getType().getSqlTypeName() == org.apache.calcite.sql.type.SqlTypeName.DECIMAL;
    }
    if (!numeric) {
      return null;
    }
    try {
      return NumericCommonType.mixedScaleColumn(viewTyping.toRel(sql).validatedRowType,
          root.validatedRowType);
    } catch (SQLException | RuntimeException e) {
      return null;
    }
  }

  public RewriteDecision decide(String sql) {
    return plan(sql).decision();
  }

  /**
   * A decision, and whether the values of the query's literals could have changed it (see {@link Planned}).
   *
   * @param sql the query as the application sent it
   */
  public Planned plan(String sql) {
    if (LOCKING.matcher(sql).find()) {
      // the pattern could be inside a string literal
      return Planned.valueDependent(RewriteDecision.passThrough(sql, "SELECT ... FOR UPDATE/SHARE locks rows",
          Set.of(), 0));
    }
    SqlNode parsed;
    try {
      parsed = frontEnd.parse(sql);
    } catch (SQLException e) {
      return Planned.valueDependent(RewriteDecision.passThrough(sql, "unparseable: " + e.getMessage(), Set.of(), 0));
    }
    int parameters = SqlInspection.parameterCount(parsed);
    if (!parsed.isA(SqlKind.QUERY)) {
      return Planned.valueDependent(RewriteDecision.passThrough(sql,
          RewriteDecision.NOT_A_QUERY + parsed.getKind(), Set.of(), parameters));
    }
    if (SqlInspection.samplesATable(parsed)) {
      return Planned.valueDependent(RewriteDecision.passThrough(sql, "samples a table (TABLESAMPLE)", Set.of(),
          parameters));
    }
    String volatileFunction = SqlInspection.volatileFunction(parsed);
    PgColumnLabels.Labels labels = PgColumnLabels.of(parsed); // before validation rewrites the tree
    RelRoot root;
    try {
      root = frontEnd.toRel(parsed);
    } catch (SQLException e) {
      // a literal's value can make a query invalid ('x' compared with a number)
      return Planned.valueDependent(RewriteDecision.passThrough(sql, "invalid query (" + e.getSQLState() + "): "
          + e.getMessage(), Set.of(), parameters));
    }
    RelNode rel = root.project();
    Set<String> baseTables = baseTables(rel);
    // Up to the matching, what refuses a query is its functions, types and labels, never a literal's value.
    if (volatileFunction != null) {
      return Planned.valueFree(RewriteDecision.passThrough(sql, "uses volatile function " + volatileFunction + "()",
          baseTables, parameters));
    }
    // A query that converts a timestamptz is answered only in the zone its views were evaluated in (zoneBound).
    String zoned = TimeZoneSafety.firstZoneDependentExpression(rel);
    if (views.isEmpty()) {
      return Planned.valueFree(RewriteDecision.passThrough(sql, RewriteDecision.NO_VIEWS, baseTables, parameters));
    }
    if (labels.unknownReason() != null) {
      return Planned.valueFree(RewriteDecision.passThrough(sql, "unsure of column labels: " + labels.unknownReason(),
          baseTables, parameters));
    }
    List<String> finalLabels = labels.resolve(root.validatedRowType);
    if (finalLabels.size() != rel.getRowType().getFieldCount()) {
      return Planned.valueFree(RewriteDecision.passThrough(sql,
          "unsure of column labels: count differs from the plan", baseTables, parameters));
    }
    String mixed = mixedScaleColumn(sql, root);
    if (mixed != null) {
      // the literals' types decide it (0 or 0.00 in a branch): not a decision for the query's shape
      return Planned.valueDependent(RewriteDecision.passThrough(sql, "column " + mixed + " is plain numeric where"
          + " numerics of other types meet, each value at its own scale, which no view's typing follows",
          baseTables, parameters));
    }
    String exactDigest = ViewMatcher.exactMatchDigest(rel);
    Set<String> refused = new LinkedHashSet<>(); // views that match but may not answer this role
    for (CompiledView view : views) {
      MatchResult exact = ViewMatcher.matchExactly(rel, exactDigest, view);
      if (exact.matched()) {
        if (refusedHere(view, refused)) {
          continue;
        }
        Accepted a = accept(sql, exact, view, rel, root, finalLabels, baseTables, parameters, false);
        if (a.decision() != null) {
          return zoneBound(Planned.valueFree(a.decision()), zoned);
        }
      }
    }
    String unsafeCast = CastSafety.firstUnsafeCast(rel);
    if (unsafeCast != null) {
      return passedOver(rel, RewriteDecision.passThrough(sql, refusedOr(refused, "cast " + unsafeCast
          + " may not mean the same in PostgreSQL"), baseTables, parameters));
    }
    Decomposition query = Decomposition.of(rel).orElse(null);
    if (query == null) {
      List<String> innerReasons = new ArrayList<>();
      RewriteDecision inner = decideByInnerBlocks(sql, rel, root, finalLabels, baseTables, parameters, refused,
          innerReasons);
      if (inner != null) {
        return zoneBound(Planned.valueFree(inner), zoned);
      }
      return passedOver(rel, RewriteDecision.passThrough(sql, refusedOr(refused,
          "query shape not supported (needs inner joins, filters, optional GROUP BY); CTEs and derived tables: "
              + String.join("; ", innerReasons)), baseTables, parameters));
    }
    List<String> reasons = new ArrayList<>();
    for (CompiledView view : views) {
      MatchResult match = ViewMatcher.match(query, view, rel.getCluster());
      if (!match.matched()) {
        reasons.add(view.definition().qualifiedName() + ": " + match.reason());
        continue;
      }
      if (refusedHere(view, refused)) {
        continue;
      }
      Accepted a = accept(sql, match, view, rel, root, finalLabels, baseTables, parameters, false);
      if (a.decision() != null) {
        return zoneBound(Planned.valueFree(a.decision()), zoned);
      }
      reasons.add(view.definition().qualifiedName() + ": " + a.problem());
    }
    // AVG as SUM / COUNT, for the views that keep a sum and a count: only now, so that every rewrite found
    // before keeps its AVG (the cheaper and plainer SQL over a projection view).
    RelNode averages = AverageSplit.split(rel);
    Decomposition split = averages == null ? null : Decomposition.of(averages).orElse(null);
    if (split != null) {
      for (CompiledView view : views) {
        if (view.block() == null || !view.block().aggregate()) {
          continue;
        }
        MatchResult match = ViewMatcher.match(split, view, rel.getCluster());
        if (!match.matched()) {
          reasons.add(view.definition().qualifiedName() + AVERAGES + match.reason());
          continue;
        }
        if (refusedHere(view, refused)) {
          continue;
        }
        Accepted a = accept(sql, match, view, rel, root, finalLabels, baseTables, parameters, false);
        if (a.decision() != null) {
          return zoneBound(Planned.valueFree(a.decision()), zoned);
        }
        reasons.add(view.definition().qualifiedName() + AVERAGES + a.problem());
      }
    }
    List<String> ruleReasons = new ArrayList<>();
    RewriteDecision byRules = decideByViewRules(sql, rel, rel, root, finalLabels, baseTables, parameters, refused,
        ruleReasons);
    if (byRules == null && averages != null) {
      ruleReasons.add("with AVG as SUM / COUNT");
      byRules = decideByViewRules(sql, averages, rel, root, finalLabels, baseTables, parameters, refused,
          ruleReasons);
    }
    if (byRules != null) {
      // the rules reason about the values themselves: ranges, lists, implied predicates
      return zoneBound(Planned.valueDependent(byRules), zoned);
    }
    return passedOver(rel, RewriteDecision.passThrough(sql, refusedOr(refused, RewriteDecision.NO_VIEW_MATCHES
        + String.join("; ", reasons) + "; view rules: " + String.join("; ", ruleReasons)), baseTables, parameters));
  }

  /**
   * A decision for one query text, and whether the values of its literals could have changed it.
   *
   * <p>{@code literalsMatter} is false when the decision holds for any other values of the literals that no
   * view's definition holds, written with the same types: a pass-through for a query's functions, types or
   * labels, or because no view reads only tables the query reads (no view can answer it, whatever the
   * values); a rewrite by exact or block matching, which compares a query's literals with a view's only for
   * equality. It is true for what Calcite's view rules decided (they compare values: a range inside a range,
   * a value in a list), for every other pass-through, and for queries that did not validate.
   */
  public record Planned(RewriteDecision decision, boolean literalsMatter) {
    static Planned valueFree(RewriteDecision decision) {
      return new Planned(decision, false);
    }

    static Planned valueDependent(RewriteDecision decision) {
      return new Planned(decision, true);
    }
  }

  /**
   * A rewrite of a query whose answer depends on the session's {@code TimeZone} ({@code zoned} names the first such
   * expression; null: none), bound to the zone its views were evaluated in: the driver serves it only to sessions
   * in that zone. Views evaluated in different zones cannot answer one such query together.
   */
  private Planned zoneBound(Planned planned, String zoned) {
    RewriteDecision d = planned.decision();
    if (zoned == null || !d.rewritten()) {
      return planned;
    }
    String zone = null;
    for (String name : d.views()) {
      for (CompiledView view : views) {
        if (view.definition().qualifiedName().equals(name)) {
          String z = view.definition().timeZone();
          if (zone != null && !zone.equalsIgnoreCase(z)) {
            return new Planned(RewriteDecision.passThrough(d.sql(), "depends on the session time zone: " + zoned
                + ", and its views were created in different time zones", d.baseTables(), d.parameterCount()),
                planned.literalsMatter());
          }
          zone = z;
        }
      }
    }
    return new Planned(d.inTimeZone(zone), planned.literalsMatter());
  }

  /** A pass-through after matching: it holds for other literal values only if no view could answer the query. */
  private Planned passedOver(RelNode rel, RewriteDecision decision) {
    return new Planned(decision, decision.baseTables().isEmpty()
        || !ViewRulesMatcher.candidates(rel, views).isEmpty());
  }

  /**
   * The third path, after exact and block matching failed: Calcite's materialized-view rules, one candidate view
   * at a time, each rewrite rendered and verified like the others. The rules match {@code matched}, which is
   * {@code rel} or {@code rel} with its averages split ({@link AverageSplit}); the rewrite is verified against
   * {@code rel}. Returns the decision, or null with the reasons of each guard or view in {@code reasons}.
   */
  private RewriteDecision decideByViewRules(String sql, RelNode matched, RelNode rel, RelRoot root,
                                            List<String> labels, Set<String> baseTables, int parameters,
                                            Set<String> refused, List<String> reasons) {
    List<CompiledView> candidates = ViewRulesMatcher.candidates(rel, views);
    if (candidates.isEmpty()) {
      reasons.add("no view reads only tables the query reads");
      return null;
    }
    if (candidates.size() > ViewRulesMatcher.MAX_CANDIDATES) {
      reasons.add(candidates.size() + " views read only tables the query reads, more than the "
          + ViewRulesMatcher.MAX_CANDIDATES + " tried");
      return null;
    }
    // One planner run per attempt; a view whose rewrite is refused or fails verification is dropped and the
    // rules run again with the others, so there are at most as many runs as candidates.
    List<CompiledView> remaining = new ArrayList<>(candidates);
    while (!remaining.isEmpty()) {
      ViewRulesMatcher.Found found = ViewRulesMatcher.match(matched, remaining);
      if (found == null) {
        reasons.add("Calcite's view rules find no rewrite with " + names(remaining));
        return null;
      }
      CompiledView view = found.view();
      remaining.remove(view);
      if (!found.match().matched()) {
        reasons.add(view.definition().qualifiedName() + ": " + found.match().reason());
        continue;
      }
      if (refusedHere(view, refused)) {
        continue;
      }
      Accepted a = accept(sql, found.match(), view, rel, root, labels, baseTables, parameters, true);
      if (a.decision() != null) {
        return a.decision();
      }
      reasons.add(view.definition().qualifiedName() + ": " + a.problem());
    }
    return null;
  }

  /**
   * For a query that is not a block itself: its CTEs and derived tables answered by views ({@link InnerBlocks}),
   * rendered and verified like the other paths. First each such block by the first view that answers it, so
   * that blocks answered by different views combine into one rewrite; if that is refused, one view at a time.
   * When the first try read a single view, it was that view's own try (no earlier view answers any block), so
   * it is not made again. Returns the decision, or null with each view's reason in {@code reasons}.
   */
  private RewriteDecision decideByInnerBlocks(String sql, RelNode rel, RelRoot root, List<String> labels,
                                              Set<String> baseTables, int parameters, Set<String> refused,
                                              List<String> reasons) {
    InnerBlocks.Answer first = InnerBlocks.match(rel, views, view -> !refusedHere(view, refused));
    CompiledView triedAlone = null;
    if (first.match().matched()) {
      Accepted a = accept(sql, first.match(), first.views(), rel, root, labels, baseTables, parameters, true);
      if (a.decision() != null) {
        return a.decision();
      }
      reasons.add(names(first.views()) + (first.views().size() > 1 ? " together: " : ": ") + a.problem());
      triedAlone = first.views().size() == 1 ? first.views().get(0) : null;
    }
    for (CompiledView view : views) {
      if (view == triedAlone) {
        continue;
      }
      MatchResult match = InnerBlocks.match(rel, view);
      if (!match.matched()) {
        reasons.add(view.definition().qualifiedName() + ": " + match.reason());
        continue;
      }
      if (refusedHere(view, refused)) {
        continue;
      }
      Accepted a = accept(sql, match, view, rel, root, labels, baseTables, parameters, true);
      if (a.decision() != null) {
        return a.decision();
      }
      reasons.add(view.definition().qualifiedName() + ": " + a.problem());
    }
    return null;
  }

  private static String names(List<CompiledView> views) {
    return views.stream().map(v -> v.definition().qualifiedName()).collect(java.util.stream.Collectors.joining(", "));
  }

  /** Whether {@code view}, which matches, is refused to this planner's role; if so, its refusal joins {@code into}. */
  private boolean refusedHere(CompiledView view, Set<String> into) {
    String refusal = refusals.get(view.definition().qualifiedName());
    if (refusal == null) {
      return false;
    }
    into.add(view.definition().qualifiedName() + ": " + refusal);
    return true;
  }

  /**
   * The pass-through reason: when some view did match but was refused, that is the reason that matters (a view
   * answers the query, only not for this role), else {@code otherwise}.
   */
  private static String refusedOr(Set<String> refused, String otherwise) {
    return refused.isEmpty() ? otherwise : RewriteDecision.REFUSED + String.join("; ", refused);
  }

  /** A verified rewrite, or the problem that made us refuse it. */
  private record Accepted(RewriteDecision decision, String problem) {}

  /**
   * Renders and verifies a match. A problem is logged as a warning (the matcher built something it should not
   * have) unless it is a known limitation or {@code fromRules}: the view rules' plans are checked here by design.
   */
  private Accepted accept(String sql, MatchResult match, CompiledView view, RelNode rel, RelRoot root,
                          List<String> labels, Set<String> baseTables, int parameters, boolean fromRules) {
    return accept(sql, match, List.of(view), rel, root, labels, baseTables, parameters, fromRules);
  }

  /**
   * As {@link #accept(String, MatchResult, CompiledView, RelNode, RelRoot, List, Set, int, boolean)}, for a
   * rewrite that reads {@code used}: one view or several.
   */
  private Accepted accept(String sql, MatchResult match, List<CompiledView> used, RelNode rel, RelRoot root,
                          List<String> labels, Set<String> baseTables, int parameters, boolean fromRules) {
    String viewNames = names(used);
    String problem;
    PostgresSqlRenderer.Rendered rendered = null;
    try {
      rendered = PostgresSqlRenderer.render(AverageSplit.lower(match.plan()), labels);
      problem = verify(rendered, rel, root.validatedRowType, labels, parameters);
    } catch (PostgresSqlRenderer.Unwritable e) {
      problem = UNWRITABLE + e.getMessage();
    } catch (RuntimeException e) {
      problem = "internal error rendering the rewrite: " + e;
    }
    if (problem != null) {
      // Known limitations are routine; anything else means the matcher built something it should not have.
      boolean knownLimitation = fromRules || problem.startsWith(PARAMETERS_REORDERED)
          || problem.startsWith(ORDER_NOT_TOP) || problem.startsWith(UNWRITABLE);
      if (knownLimitation) {
        LOG.log(System.Logger.Level.DEBUG, "Not rewriting {0} with view {1}: {2}", sql,
            viewNames, problem);
      } else {
        // The query's text (and a rendering of it) can be long and hold literals: quoted in short at WARNING.
        LOG.log(System.Logger.Level.WARNING, "Not rewriting {0} with view {1}: {2}", SqlText.abbreviate(sql),
            viewNames, SqlText.abbreviate(problem));
        LOG.log(System.Logger.Level.DEBUG, "Not rewriting {0} with view {1}: {2}", sql,
            viewNames, problem);
      }
      return new Accepted(null, problem);
    }
    // What the rewrite reads beside the views: every table it scans but their result tables. A view's own base
    // table counts too when the query reads it again outside what the view answers.
    Set<String> direct = baseTables(match.plan());
    for (CompiledView view : used) {
      direct.remove((view.definition().resultSchema() + "." + view.definition().resultTable())
          .toLowerCase(Locale.ROOT));
    }
    return new Accepted(RewriteDecision.rewrite(rendered.sql(),
        used.stream().map(v -> v.definition().qualifiedName()).toList(), baseTables, parameters, direct), null);
  }

  /**
   * Cross-checks a rewrite: it must re-parse and validate, keep the parameters in their original order,
   * keep ORDER BY at the outermost level, and produce the same labels and the same column types (as
   * Calcite types; PostgreSQL-specific typing was handled when building the plan).
   */
  private String verify(PostgresSqlRenderer.Rendered rendered, RelNode original, RelDataType originalType,
                        List<String> labels, int parameters) {
    if (!rendered.parameterOrder().equals(IntStream.range(0, parameters).boxed().toList())) {
      return PARAMETERS_REORDERED + rendered.parameterOrder();
    }
    String lower = rendered.sql().toLowerCase(Locale.ROOT);
    if (lower.contains("character set") || lower.contains("$sum0")) {
      return "rendered SQL is not PostgreSQL: " + rendered.sql();
    }
    if (isOrdered(original) && !rendered.orderedAtTop()) {
      // An ORDER BY that ends up inside a subquery would not order the outer result in PostgreSQL.
      return ORDER_NOT_TOP + " in " + rendered.sql();
    }
    RelRoot check;
    try {
      check = frontEnd.toRel(rendered.sql());
    } catch (SQLException e) {
      return "rewritten SQL does not validate: " + e.getMessage() + " in " + rendered.sql();
    }
    List<String> names = check.validatedRowType.getFieldNames();
    if (!names.equals(labels)) {
      return "labels " + names + " instead of " + labels;
    }
    for (int i = 0; i < labels.size(); i++) {
      SqlTypeName want = originalType.getFieldList().get(i).getType().getSqlTypeName();
      SqlTypeName got = check.validatedRowType.getFieldList().get(i).getType().getSqlTypeName();
      if (want != got) {
        return "column " + labels.get(i) + " would be " + got + " instead of " + want;
      }
    }
    return null;
  }

  /** True when the query's result order is specified: a sort at the top or right under the top project. */
  private static boolean isOrdered(RelNode rel) {
    RelNode r = rel instanceof Sort ? rel : rel.getInputs().size() == 1 ? rel.getInput(0) : null;
    return r instanceof Sort s && !s.getCollation().getFieldCollations().isEmpty();
  }

  private static Set<String> baseTables(RelNode rel) {
    Set<String> tables = new TreeSet<>();
    new RelVisitor() {
      @Override
      public void visit(RelNode node, int ordinal, RelNode parent) {
        if (node instanceof TableScan scan) {
          tables.add(String.join(".", scan.getTable().getQualifiedName()).toLowerCase(Locale.ROOT));
        }
        super.visit(node, ordinal, parent);
      }
    }.go(rel);
    return tables;
  }
}
