package io.deltaview.driver.runtime;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.deltaview.rewriter.sql.PgLexer;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The query shapes a runtime has routed recently, for {@code SHOW INCREMENTAL QUERIES}: per shape (the query's
 * text with its literals replaced by {@code ?}, whitespace and comments collapsed, so {@code WHERE id = 5} and
 * {@code WHERE id = 6} are one shape and no literal value is kept), how often it ran, how often a view served
 * it and which, why it last passed through, and its mean execution time. Bounded: the least recently used
 * shapes are forgotten.
 *
 * <p>Per query, the text is looked up in a cache of texts already seen (no allocation once seen); a new text is
 * tokenized once to find its shape.
 */
final class QueryShapes {

  /** Shapes kept, and texts remembered as belonging to one. */
  private static final int MAX_SHAPES = 1_000;
  private static final int MAX_TEXTS = 10_000;
  /** Longer shapes are cut here (and end with an ellipsis). */
  static final int MAX_SHAPE_LENGTH = 2_000;
  private static final int MAX_REASON_LENGTH = 1_000;

  private final Cache<String, Shape> byText = Caffeine.newBuilder().maximumSize(MAX_TEXTS).build();
  private final Cache<String, Shape> byShape = Caffeine.newBuilder().maximumSize(MAX_SHAPES).build();

  /** The shape of {@code sql}, created on first sight. */
  Shape of(String sql) {
    Shape known = byText.getIfPresent(sql);
    return known != null ? known : byText.get(sql, text -> byShape.get(shapeOf(text), Shape::new));
  }

  /** The shapes kept now, the most executed first. */
  List<Shape> seen() {
    List<Shape> out = new ArrayList<>(byShape.asMap().values());
    out.sort(Comparator.comparingLong(Shape::executions).reversed().thenComparing(Shape::text));
    return out;
  }

  /**
   * {@code sql} as a shape: its tokens separated as they were (one space where there was any), with every
   * string, number and bit-string literal as {@code ?} and comments dropped. Text PostgreSQL's lexical rules
   * cannot split (an unterminated string) is one shape of its own, without its text.
   */
  static String shapeOf(String sql) {
    List<PgLexer.Token> tokens;
    try {
      tokens = PgLexer.tokens(sql);
    } catch (SQLException e) {
      return "(not valid SQL)";
    }
    StringBuilder out = new StringBuilder();
    for (PgLexer.Token t : tokens) {
      if (out.length() > 0 && t.spaceBefore() != 0) {
        out.append(' ');
      }
      switch (t.kind()) {
        case STRING, NUMBER, BIT_STRING -> out.append('?');
        default -> out.append(t.text());
      }
      if (out.length() > MAX_SHAPE_LENGTH) {
        out.setLength(MAX_SHAPE_LENGTH);
        return out.append('…').toString();
      }
    }
    return out.toString();
  }

  /** One shape's counts. Updated by the connections that run it, concurrently. */
  static final class Shape {
    private final String text;
    private final LongAdder executions = new LongAdder();
    private final LongAdder served = new LongAdder();
    private final LongAdder timed = new LongAdder();
    private final LongAdder nanos = new LongAdder();
    private volatile String view;
    private volatile String passReason;
    /** The reason {@link #passReason} was made from: decisions are cached, so the same reason is the same object. */
    private volatile String passReasonSource;

    Shape(String text) {
      this.text = text;
    }

    /** A view served it. */
    void served(String byView) {
      executions.increment();
      served.increment();
      view = byView;
    }

    /** It went to PostgreSQL as written, for {@code reason}. */
    void passedThrough(String reason) {
      executions.increment();
      if (reason != passReasonSource) {
        passReasonSource = reason;
        passReason = reason.length() > MAX_REASON_LENGTH ? reason.substring(0, MAX_REASON_LENGTH) + "…" : reason;
      }
    }

    /** One execution took {@code elapsedNanos}, routing included. */
    void took(long elapsedNanos) {
      timed.increment();
      nanos.add(elapsedNanos);
    }

    String text() {
      return text;
    }

    long executions() {
      return executions.sum();
    }

    long servedCount() {
      return served.sum();
    }

    /** The view that served it last; null if none ever did. */
    String view() {
      return view;
    }

    /** Why it last passed through; null if it never did. */
    String passReason() {
      return passReason;
    }

    /** Mean execution time in milliseconds; null before the first timed execution. */
    Double meanMillis() {
      long n = timed.sum();
      return n == 0 ? null : nanos.sum() / 1e6 / n;
    }
  }
}
