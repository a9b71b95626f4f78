package io.deltaview.rewriter;

import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the driver should execute for one SQL string.
 *
 * @param rewritten whether {@code sql} reads a view's result table instead of the original tables
 * @param sql the SQL to send: the rewrite, or the original text unchanged
 * @param views qualified names of the views the rewrite reads, in the order it names them: one for most
 *     rewrites, several when the query combines what several views answer (a UNION ALL of two served branches,
 *     two aggregates joined); empty when not rewritten
 * @param reason why the query was not rewritten, null when it was
 * @param baseTables lower-case {@code schema.table} names the original query reads (empty if unknown)
 * @param parameterCount number of JDBC {@code ?} parameters; a rewrite keeps them in the same order
 * @param directReads the base tables a rewrite reads beside the view's result table (a view joined to a
 *     dimension table), lower-case {@code schema.table}; empty for a pass-through and for most rewrites
 * @param timeZone the {@code TimeZone} a session must have for the rewrite to answer it, the one the views were
 *     created in, when the query converts a timestamptz ({@code date_trunc('day', created_at)}); null when the
 *     answer does not depend on the session's zone
 */
public record RewriteDecision(boolean rewritten, String sql, List<String> views, String reason,
                              Set<String> baseTables, int parameterCount, Set<String> directReads,
                              String timeZone) {

  /** How the reason of a pass-through starts when a view answers the query but is refused to the role. */
  public static final String REFUSED = "not served to this role: ";
  /** How the reason starts when the statement is not a query. */
  public static final String NOT_A_QUERY = "not a query: ";
  /** How the reason starts when no registered view answers the query. */
  public static final String NO_VIEW_MATCHES = "no view matches: ";
  /** The reason when no view is registered at all. */
  public static final String NO_VIEWS = "no incremental views registered";

  private static final Set<String> NO_DIRECT_READS = Collections.unmodifiableSortedSet(new TreeSet<>());

  public RewriteDecision {
    Objects.requireNonNull(sql, "sql");
    views = List.copyOf(views);
    if (rewritten == views.isEmpty()) {
      throw new IllegalArgumentException("a rewrite reads at least one view, a pass-through none: " + views);
    }
    baseTables = Set.copyOf(baseTables);
    // sorted: EXPLAIN names them, and its text should not change from one JVM to the next; most decisions have
    // none, and they share one empty set (a rewrite served from a shape's template is built per text)
    directReads = directReads.isEmpty() ? NO_DIRECT_READS
        : Collections.unmodifiableSortedSet(new TreeSet<>(directReads));
  }

  public static RewriteDecision passThrough(String sql, String reason, Set<String> baseTables,
                                            int parameterCount) {
    return new RewriteDecision(false, sql, List.of(), Objects.requireNonNull(reason), baseTables, parameterCount,
        Set.of(), null);
  }

  /**
   * The view that answers, for display and for one-view callers: its qualified name, or the names of several
   * views joined by {@code ", "} (never a name to look up: use {@link #views()}); null when not rewritten.
   */
  public String view() {
    return views.isEmpty() ? null : views.size() == 1 ? views.get(0) : String.join(", ", views);
  }

  /**
   * Whether a view does answer the query but is refused to this rewriter's role (so no other view should be
   * created for it: it would be refused for the same reason).
   */
  public boolean refused() {
    return !rewritten && reason.startsWith(REFUSED);
  }

  /** A pass-through of a statement that is not a query. */
  public boolean notAQuery() {
    return !rewritten && reason.startsWith(NOT_A_QUERY);
  }

  /** A pass-through because no view answers the query (or none is registered). */
  public boolean noViewMatches() {
    return !rewritten && (reason.startsWith(NO_VIEW_MATCHES) || reason.equals(NO_VIEWS));
  }

  public static RewriteDecision rewrite(String sql, String view, Set<String> baseTables, int parameterCount) {
    return rewrite(sql, List.of(view), baseTables, parameterCount, Set.of());
  }

  /**
   * A rewrite reading {@code views} (at least one) that also reads {@code directReads} from the base tables
   * themselves.
   */
  public static RewriteDecision rewrite(String sql, List<String> views, Set<String> baseTables, int parameterCount,
                                        Set<String> directReads) {
    return new RewriteDecision(true, sql, views, null, baseTables, parameterCount, directReads, null);
  }

  /** This rewrite, answering only sessions whose {@code TimeZone} is {@code zone}. */
  public RewriteDecision inTimeZone(String zone) {
    return new RewriteDecision(rewritten, sql, views, reason, baseTables, parameterCount, directReads, zone);
  }

  /** Whether a session whose {@code TimeZone} setting is {@code sessionZone} may be answered by this rewrite. */
  public boolean answersZone(String sessionZone) {
    return timeZone == null || timeZone.equalsIgnoreCase(sessionZone);
  }
}
