package io.deltaview.engine.dataflow;

import org.apache.calcite.plan.hep.HepPlanner;
import org.apache.calcite.plan.hep.HepProgram;
import org.apache.calcite.plan.hep.HepProgramBuilder;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.RelFactories;
import org.apache.calcite.rel.rules.CoreRules;
import org.apache.calcite.rex.RexUtil;
import org.apache.calcite.sql2rel.RelDecorrelator;
import org.apache.calcite.tools.RelBuilder;

/**
 * Brings a logical plan to the shapes {@link DataflowTranslator} knows before translation: subqueries (IN,
 * EXISTS, scalar subqueries, correlated or not) become joins and aggregates, and correlation variables are
 * removed. What cannot be decorrelated stays a Correlate, which the translator refuses by name.
 */
public final class PlanNormalizer {

  private static final HepProgram SUB_QUERIES = new HepProgramBuilder()
      .addRuleInstance(CoreRules.FILTER_SUB_QUERY_TO_CORRELATE)
      .addRuleInstance(CoreRules.PROJECT_SUB_QUERY_TO_CORRELATE)
      .addRuleInstance(CoreRules.JOIN_SUB_QUERY_TO_CORRELATE)
      .build();

  private PlanNormalizer() {
  }

  public static RelNode normalize(RelNode plan) {
    if (!hasSubQuery(plan)) {
      return plan;
    }
    HepPlanner planner = new HepPlanner(SUB_QUERIES);
    planner.setRoot(plan);
    RelNode removed = planner.findBestExp();
    RelBuilder builder = RelFactories.LOGICAL_BUILDER.create(plan.getCluster(), null);
    return RelDecorrelator.decorrelateQuery(removed, builder);
  }

  private static boolean hasSubQuery(RelNode rel) {
    boolean[] found = {false};
    rel.accept(new org.apache.calcite.rel.RelHomogeneousShuttle() {
      @Override
      public RelNode visit(RelNode other) {
        if (other instanceof org.apache.calcite.rel.core.Filter f && RexUtil.SubQueryFinder.find(f.getCondition()) != null
            || other instanceof org.apache.calcite.rel.core.Project p && RexUtil.SubQueryFinder.find(p.getProjects()) != null
            || other instanceof org.apache.calcite.rel.core.Join j && RexUtil.SubQueryFinder.find(j.getCondition()) != null) {
          found[0] = true;
        }
        return super.visit(other);
      }
    });
    return found[0];
  }
}
