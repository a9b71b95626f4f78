package io.deltaview.rewriter.match;

import io.deltaview.sql.SqlIdentifiers;
import io.deltaview.rewriter.ViewDefinition;
import io.deltaview.rewriter.ViewReads;
import io.deltaview.rewriter.schema.ColumnInfo;
import io.deltaview.rewriter.schema.TableInfo;
import io.deltaview.rewriter.sql.SqlFrontEnd;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.plan.RelOptTable;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.RelRoot;
import org.apache.calcite.rel.core.Project;
import org.apache.calcite.rel.core.Sort;
import org.apache.calcite.rel.core.TableScan;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexNode;

/**
 * A registered view prepared for matching: its query block, its result table, and which core expressions,
 * group keys and aggregate calls each result column exposes.
 */
public final class CompiledView {
  private final ViewDefinition definition;
  /** Name-insensitive digest of the whole view plan, for exact matches. */
  private final String planDigest;
  /** The matchable block, or null when the view only answers exact matches. */
  private final QueryBlock block;
  private final TableInfo resultTable;
  private final RelOptTable resultRelTable;
  /** Non-aggregate views: digest of a core expression → result column. */
  private final Map<String, Integer> exposedExpressions = new HashMap<>();
  /** Aggregate views: digest of a group key expression → result column. */
  private final Map<String, Integer> exposedGroupKeys = new HashMap<>();
  /** Aggregate views: {@link QueryBlock.Agg#key()} → result column. */
  private final Map<String, Integer> exposedCalls = new HashMap<>();
  private final boolean allGroupKeysExposed;
  /** What answering from this view reads, for the per-role privilege check. */
  private final ViewReads reads;
  /** The plan as Calcite's materialized-view rules see it ({@link ViewRulesMatcher#withNotNullConjuncts}). */
  private final RelNode rulesPlan;
  /** Qualified names of the base tables the view reads, each once. */
  private final Set<List<String>> tables;
  /** Whether a result row may stand for several base rows (the view aggregates or removes duplicates). */
  private final boolean aggregates;

  private CompiledView(ViewDefinition definition, RelNode plan, Decomposition d, TableInfo resultTable,
                       RelOptTable resultRelTable, ViewReads reads) {
    this.definition = definition;
    this.reads = reads;
    this.rulesPlan = ViewRulesMatcher.withNotNullConjuncts(plan);
    // Computes every node's row type now, while the plan is not yet shared between threads.
    RelOptUtil.toString(rulesPlan);
    this.tables = Set.copyOf(RelOptUtil.findTables(plan).stream().map(RelOptTable::getQualifiedName).toList());
    this.aggregates = containsAggregate(plan);
    String planDigest = PlanDigest.of(plan);
    this.planDigest = planDigest;
    this.block = d == null ? null : d.block();
    this.resultTable = resultTable;
    this.resultRelTable = resultRelTable;
    if (block == null) {
      allGroupKeysExposed = false;
    } else if (!block.aggregate()) {
      List<RexNode> projects = block.projects();
      for (int i = 0; i < projects.size(); i++) {
        exposedExpressions.putIfAbsent(projects.get(i).toString(), i);
      }
      allGroupKeysExposed = false;
    } else {
      int keyCount = block.groupKeys().size();
      int width = d.upper().isEmpty() ? keyCount + block.calls().size()
          : ((Project) d.upper().get(0)).getProjects().size();
      for (int col = 0; col < width; col++) {
        int field = col;
        if (!d.upper().isEmpty()) {
          RexNode e = ((Project) d.upper().get(0)).getProjects().get(col);
          if (!(e instanceof RexInputRef ref)) {
            continue; // computed after aggregation: usable only through an exact match
          }
          field = ref.getIndex();
        }
        if (field < keyCount) {
          exposedGroupKeys.putIfAbsent(block.groupKeys().get(field).toString(), col);
        } else {
          exposedCalls.putIfAbsent(block.calls().get(field - keyCount).key(), col);
        }
      }
      allGroupKeysExposed = block.groupKeys().stream()
          .allMatch(k -> exposedGroupKeys.containsKey(k.toString()));
    }
  }

  /**
   * Compiles a view against the catalog, which must contain its result table with the view's columns.
   * Views outside the matcher's shape (outer joins, HAVING, subqueries, set operations...) still answer
   * queries that are exactly the view's query.
   *
   * @throws IllegalArgumentException when the view cannot be used for rewriting at all (message says why)
   */
  public static CompiledView compile(ViewDefinition definition, SqlFrontEnd frontEnd) throws SQLException {
    return compile(definition, frontEnd, frontEnd.toRel(definition.definitionSql()));
  }

  /** {@link #compile(ViewDefinition, SqlFrontEnd)} of a definition {@code frontEnd} has already converted. */
  public static CompiledView compile(ViewDefinition definition, SqlFrontEnd frontEnd, RelRoot converted)
      throws SQLException {
    TableInfo table = frontEnd.catalog().table(definition.resultSchema(), definition.resultTable())
        .orElseThrow(() -> new IllegalArgumentException("result table " + definition.resultSchema() + "."
            + definition.resultTable() + " is not in the catalog"));
    List<String> tableColumns = table.columns().stream().map(ColumnInfo::name).toList();
    if (!tableColumns.equals(definition.columnNames())) {
      throw new IllegalArgumentException("result table columns " + tableColumns
          + " differ from the view's columns " + definition.columnNames());
    }
    RelNode rel = converted.project();
    if (rel.getRowType().getFieldCount() != tableColumns.size()) {
      throw new IllegalArgumentException("view query has " + rel.getRowType().getFieldCount()
          + " columns, result table " + tableColumns.size());
    }
    if (rel instanceof Sort) {
      // The result table keeps no order, and a LIMIT without ORDER BY is not even deterministic.
      throw new IllegalArgumentException("view query ends in ORDER BY/LIMIT/OFFSET");
    }
    Decomposition d = Decomposition.of(rel).orElse(null);
    boolean upperOk = d != null && (d.upper().isEmpty()
        || (d.block().aggregate() && d.upper().size() == 1 && d.upper().get(0) instanceof Project));
    RelNode scan = frontEnd.toRel("SELECT * FROM "
        + SqlIdentifiers.quote(definition.resultSchema(), definition.resultTable())).rel;
    while (!(scan instanceof TableScan)) {
      scan = scan.getInput(0);
    }
    ViewReads reads = new ViewReads(definition.qualifiedName(), table.schema(), table.name(), ReadColumns.of(rel));
    return new CompiledView(definition, rel, upperOk ? d : null, table, scan.getTable(), reads);
  }

  public ViewDefinition definition() {
    return definition;
  }

  /** The result table and the base-table columns the definition reads. */
  public ViewReads reads() {
    return reads;
  }

  String planDigest() {
    return planDigest;
  }

  /** The view's plan for Calcite's materialized-view rules (shared, never modified). */
  RelNode rulesPlan() {
    return rulesPlan;
  }

  /** Whether a result row may stand for several base rows: the view has an Aggregate (GROUP BY, DISTINCT). */
  boolean aggregates() {
    return aggregates;
  }

  private static boolean containsAggregate(RelNode rel) {
    if (rel instanceof org.apache.calcite.rel.core.Aggregate) {
      return true;
    }
    for (RelNode input : rel.getInputs()) {
      if (containsAggregate(input)) {
        return true;
      }
    }
    return false;
  }

  /** Qualified names of the base tables the view reads. */
  Set<List<String>> tables() {
    return tables;
  }

  QueryBlock block() {
    return block;
  }

  TableInfo resultTable() {
    return resultTable;
  }

  RelOptTable resultRelTable() {
    return resultRelTable;
  }

  Map<String, Integer> exposedExpressions() {
    return exposedExpressions;
  }

  Map<String, Integer> exposedGroupKeys() {
    return exposedGroupKeys;
  }

  Map<String, Integer> exposedCalls() {
    return exposedCalls;
  }

  boolean allGroupKeysExposed() {
    return allGroupKeysExposed;
  }
}
