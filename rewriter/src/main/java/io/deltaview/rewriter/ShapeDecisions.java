package io.deltaview.rewriter;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.deltaview.rewriter.match.RewritePlanner;
import io.deltaview.rewriter.sql.PgLexer;
import io.deltaview.rewriter.sql.QueryShape;
import io.deltaview.rewriter.sql.SqlText;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The second level of the decision cache, behind the one keyed by exact text: decisions shared by the texts of
 * one {@link QueryShape}, so that {@code WHERE id = 6} is decided without planning once {@code WHERE id = 5} was.
 *
 * <p>The first text of a shape is planned as any text is; what is kept for the shape depends on that decision.
 * A pass-through is shared when it holds for every value ({@link RewritePlanner.Planned#literalsMatter}) and
 * its reason quotes none of the values. A rewrite is shared as a template: the text is planned again with the
 * lifted literals as {@code ?} parameters, and that rewrite, with this text's literals in place of those
 * parameters, must be exactly the rewrite planned for the text itself; the other texts of the shape then get
 * the template with their own literals. Otherwise every text of the shape is planned, as without this cache.
 * One instance belongs to one planner, so it is dropped with the catalog, views and refusals it was made for.
 */
final class ShapeDecisions {
  private static final System.Logger LOG = System.getLogger(ShapeDecisions.class.getName());
  private static final long MAX_SHAPES = 10_000;

  private final RewritePlanner planner;
  /** Values written in the views' definitions: literals with these values stay in the shape. */
  private final Set<String> viewConstants;
  private final Cache<String, Shared> shapes;

  ShapeDecisions(RewritePlanner planner, Set<String> viewConstants) {
    this.planner = planner;
    this.viewConstants = viewConstants;
    // Maintenance on the calling thread, as for the first level (see QueryRewriter).
    this.shapes = Caffeine.newBuilder().maximumSize(MAX_SHAPES).executor(Runnable::run).build();
  }

  /** The decision for a text the first level has not seen. */
  RewriteDecision decide(String sql) {
    QueryShape shape = QueryShape.of(sql, viewConstants);
    if (shape == null) {
      return plan(sql).decision();
    }
    Shared shared = shapes.getIfPresent(shape.key());
    if (shared != null) {
      RewriteDecision d = shared.decisionFor(shape);
      return d != null ? d : plan(sql).decision();
    }
    RewritePlanner.Planned planned = plan(sql);
    shapes.put(shape.key(), learn(shape, planned));
    return planned.decision();
  }

  /**
   * The decision for {@code sql} when a decision of its shape holds for it, without planning; else null (no
   * shape, a shape not seen yet, or one whose texts are each planned: {@link #decide} then plans it).
   */
  RewriteDecision shared(String sql) {
    QueryShape shape = QueryShape.of(sql, viewConstants);
    if (shape == null) {
      return null;
    }
    Shared shared = shapes.getIfPresent(shape.key());
    return shared == null ? null : shared.decisionFor(shape);
  }

  /** How the texts of {@code sql}'s shape are decided now; for tests. */
  Sharing sharing(String sql) {
    QueryShape shape = QueryShape.of(sql, viewConstants);
    if (shape == null) {
      return Sharing.NO_SHAPE;
    }
    Shared shared = shapes.getIfPresent(shape.key());
    return shared == null ? Sharing.UNKNOWN : shared.sharing();
  }

  /** How the texts of a shape are decided. */
  enum Sharing {
    /** Nothing lifted: the text is its own shape. */
    NO_SHAPE,
    /** No text of the shape seen yet. */
    UNKNOWN,
    /** Every text planned. */
    PLAN_EACH,
    /** A pass-through for every text. */
    PASS_THROUGH,
    /** A rewrite for every text, its literals put in. */
    TEMPLATE
  }

  /** What the shape's other texts get, from the decision for its first. */
  private Shared learn(QueryShape shape, RewritePlanner.Planned planned) {
    RewriteDecision d = planned.decision();
    if (planned.literalsMatter()) {
      return PlanEach.INSTANCE;
    }
    if (!d.rewritten()) {
      return shape.quotesALiteral(d.reason()) ? PlanEach.INSTANCE : new PassThrough(d);
    }
    RewritePlanner.Planned parameterized = plan(shape.parameterized());
    RewriteDecision p = parameterized.decision();
    if (parameterized.literalsMatter() || !p.rewritten() || !p.views().equals(d.views())
        || !p.baseTables().equals(d.baseTables()) || !p.directReads().equals(d.directReads())) {
      return PlanEach.INSTANCE;
    }
    Template template = Template.of(p, shape, d);
    if (template == null || !template.sql(shape).equals(d.sql())) {
      LOG.log(System.Logger.Level.DEBUG, "Each text of this shape is planned: {0}", SqlText.abbreviate(shape.sql()));
      return PlanEach.INSTANCE;
    }
    return template;
  }

  private RewritePlanner.Planned plan(String sql) {
    try {
      return planner.plan(sql);
    } catch (RuntimeException | AssertionError e) {
      // The text goes to WARNING only in short (it can be long and hold literals), in full at DEBUG.
      LOG.log(System.Logger.Level.WARNING, "Deltaview rewriter bug, passing through: " + SqlText.abbreviate(sql), e);
      LOG.log(System.Logger.Level.DEBUG, "Deltaview rewriter bug, passing through: " + sql);
      return new RewritePlanner.Planned(RewriteDecision.passThrough(sql, "internal error: " + e, Set.of(), 0), true);
    }
  }

  /** What a shape's texts share. */
  private sealed interface Shared permits PlanEach, PassThrough, Template {
    /** The decision for a text of this shape, or null when it must be planned. */
    RewriteDecision decisionFor(QueryShape shape);

    Sharing sharing();
  }

  /** Nothing: the decision may depend on the values. */
  private enum PlanEach implements Shared {
    INSTANCE;

    @Override
    public RewriteDecision decisionFor(QueryShape shape) {
      return null;
    }

    @Override
    public Sharing sharing() {
      return Sharing.PLAN_EACH;
    }
  }

  /** A pass-through, for the same reason, whatever the values. */
  private record PassThrough(RewriteDecision first) implements Shared {
    @Override
    public RewriteDecision decisionFor(QueryShape shape) {
      return RewriteDecision.passThrough(shape.sql(), first.reason(), first.baseTables(), first.parameterCount());
    }

    @Override
    public Sharing sharing() {
      return Sharing.PASS_THROUGH;
    }
  }

  /** A rewrite with a hole for each lifted literal. */
  private static final class Template implements Shared {
    /** The rewrite's text around the holes: one more than there are literals. */
    private final String[] fragments;
    /** Their total length, so that a text is built in a buffer of the right size. */
    private final int fragmentsLength;
    /** The decision for the shape's first text (its view and tables). */
    private final RewriteDecision first;

    private Template(String[] fragments, int fragmentsLength, RewriteDecision first) {
      this.fragments = fragments;
      this.fragmentsLength = fragmentsLength;
      this.first = first;
    }

    /**
     * The template of {@code parameterized} (the rewrite of the shape's text with its literals as parameters),
     * or null when its parameters cannot be told apart: each {@code ?} that stands for a lifted literal becomes
     * a hole, the others stay parameters.
     */
    static Template of(RewriteDecision parameterized, QueryShape shape, RewriteDecision first) {
      String sql = parameterized.sql();
      List<PgLexer.Token> tokens;
      try {
        tokens = PgLexer.tokens(sql);
      } catch (SQLException e) {
        return null;
      }
      List<String> fragments = new ArrayList<>();
      int copied = 0;
      int parameter = 0;
      int literal = 0;
      for (PgLexer.Token t : tokens) {
        if (t.kind() == PgLexer.Kind.OPERATOR && t.text().indexOf('?') >= 0) {
          return null;
        }
        if (t.kind() != PgLexer.Kind.PARAMETER) {
          continue;
        }
        if (literal < shape.literals().size() && shape.literals().get(literal).parameter() == parameter) {
          fragments.add(sql.substring(copied, t.start()));
          copied = t.start() + t.text().length();
          literal++;
        }
        parameter++;
      }
      if (parameter != parameterized.parameterCount() || literal != shape.literals().size()) {
        return null;
      }
      fragments.add(sql.substring(copied));
      int length = 0;
      for (String f : fragments) {
        length += f.length();
      }
      return new Template(fragments.toArray(String[]::new), length, first);
    }

    String sql(QueryShape shape) {
      List<QueryShape.Literal> literals = shape.literals();
      int length = fragmentsLength;
      for (int i = 0; i < literals.size(); i++) {
        length += literals.get(i).rendered().length();
      }
      StringBuilder out = new StringBuilder(length);
      for (int i = 0; i < literals.size(); i++) {
        out.append(fragments[i]).append(literals.get(i).rendered());
      }
      return out.append(fragments[literals.size()]).toString();
    }

    @Override
    public RewriteDecision decisionFor(QueryShape shape) {
      RewriteDecision d = RewriteDecision.rewrite(sql(shape), first.views(), first.baseTables(),
          first.parameterCount(), first.directReads());
      return first.timeZone() == null ? d : d.inTimeZone(first.timeZone());
    }

    @Override
    public Sharing sharing() {
      return Sharing.TEMPLATE;
    }
  }
}
