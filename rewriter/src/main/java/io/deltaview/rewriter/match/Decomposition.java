package io.deltaview.rewriter.match;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.Aggregate;
import org.apache.calcite.rel.core.AggregateCall;
import org.apache.calcite.rel.core.Filter;
import org.apache.calcite.rel.core.Project;
import org.apache.calcite.rel.core.Sort;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexOver;
import org.apache.calcite.rex.RexUtil;

/**
 * A plan split into its {@link QueryBlock} and the operators above it ({@code upper}, top first: sorts,
 * projections and filters such as HAVING), which a rewrite re-applies unchanged on top of the view.
 */
record Decomposition(List<RelNode> upper, QueryBlock block) {

  Decomposition {
    upper = List.copyOf(upper);
  }

  static Optional<Decomposition> of(RelNode top) {
    List<RelNode> upper = new ArrayList<>();
    RelNode rel = top;
    while (true) {
      Optional<QueryBlock> block = blockAt(rel);
      if (block.isPresent()) {
        return Optional.of(new Decomposition(upper, block.get()));
      }
      if (rel instanceof Sort || rel instanceof Project || rel instanceof Filter) {
        upper.add(rel);
        rel = rel.getInput(0);
      } else {
        return Optional.empty();
      }
    }
  }

  private static Optional<QueryBlock> blockAt(RelNode rel) {
    if (rel instanceof Aggregate agg) {
      return aggregateBlock(agg);
    }
    if (rel instanceof Project project) {
      if (!plainExpressions(project.getProjects())) {
        return Optional.empty();
      }
      return SpjBlock.of(project.getInput()).map(spj -> new QueryBlock(spj, false, project.getProjects(),
          List.of(), List.of(), project.getRowType()));
    }
    return SpjBlock.of(rel).map(spj -> new QueryBlock(spj, false, identity(rel), List.of(), List.of(),
        rel.getRowType()));
  }

  private static Optional<QueryBlock> aggregateBlock(Aggregate agg) {
    if (agg.getGroupType() != Aggregate.Group.SIMPLE) {
      return Optional.empty();
    }
    RelNode input = agg.getInput();
    List<RexNode> pre;
    Optional<SpjBlock> spj;
    if (input instanceof Project p) {
      if (!plainExpressions(p.getProjects())) {
        return Optional.empty();
      }
      pre = p.getProjects();
      spj = SpjBlock.of(p.getInput());
    } else {
      pre = identity(input);
      spj = SpjBlock.of(input);
    }
    if (spj.isEmpty()) {
      return Optional.empty();
    }
    List<RexNode> keys = agg.getGroupSet().asList().stream().map(pre::get).toList();
    List<QueryBlock.Agg> calls = new ArrayList<>();
    for (AggregateCall call : agg.getAggCallList()) {
      if (call.filterArg >= 0 || !call.collation.getFieldCollations().isEmpty() || call.isApproximate()
          || !call.rexList.isEmpty()) {
        return Optional.empty();
      }
      calls.add(new QueryBlock.Agg(call, call.getArgList().stream().map(pre::get).toList()));
    }
    return Optional.of(new QueryBlock(spj.get(), true, List.of(), keys, calls, agg.getRowType()));
  }

  private static boolean plainExpressions(List<RexNode> exprs) {
    return !RexOver.containsOver(exprs, null) && RexUtil.SubQueryFinder.find(exprs) == null
        && exprs.stream().noneMatch(RexUtil::containsCorrelation);
  }

  private static List<RexNode> identity(RelNode rel) {
    return rel.getCluster().getRexBuilder().identityProjects(rel.getRowType());
  }
}
