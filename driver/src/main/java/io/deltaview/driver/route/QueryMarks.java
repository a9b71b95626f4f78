package io.deltaview.driver.route;

import io.deltaview.Consistency;
import io.deltaview.Deltaview;
import io.deltaview.driver.ReadConsistency;

/**
 * Whether a query is marked for Deltaview, and with which consistency: by a hint comment
 * <code>/*+ incremental *&#47;</code> or <code>/*+ incremental(consistency=strong) *&#47;</code> (or
 * {@code eventual}, {@code read-your-writes}, {@code bounded(500)}: {@link ReadConsistency}) at the start
 * of the SQL or right after its {@code SELECT}, by a plain comment at the start that says only that
 * (<code>/* incremental *&#47;</code>, as ORMs write query comments), or by an open opt-in scope on the executing thread
 * ({@code @Incremental} methods under the agent, {@link Deltaview#optIn()}). A hint wins over the scope.
 *
 * <p>Looks at most at the first keyword and one comment, so an unmarked query costs a few character
 * comparisons and one thread-local read.
 */
public final class QueryMarks {

  private static final String HINT_START = "/*+";
  private static final String COMMENT_START = "/*";
  private static final String WORD = "incremental";

  private QueryMarks() {
  }

  /**
   * The consistency {@code sql} is marked with ({@link ReadConsistency#DEFAULT} when it names none), or null.
   */
  public static ReadConsistency of(String sql) {
    ReadConsistency hinted = hint(sql);
    return hinted != null ? hinted : scope(Deltaview.currentOptIn());
  }

  /** The consistency of an opt-in scope ({@code @Incremental}, {@link Deltaview#optIn()}); null outside one. */
  private static ReadConsistency scope(Consistency c) {
    if (c == null) {
      return null;
    }
    return switch (c) {
      case DEFAULT -> ReadConsistency.DEFAULT;
      case EVENTUAL -> ReadConsistency.EVENTUAL;
      case STRONG -> ReadConsistency.STRONG;
    };
  }

  /** The consistency of {@code sql}'s {@code incremental} hint, or null when it has none. */
  public static ReadConsistency hint(String sql) {
    int i = skipSpace(sql, 0);
    if (sql.startsWith(COMMENT_START, i) && !sql.startsWith(HINT_START, i)) {
      int end = sql.indexOf("*/", i + COMMENT_START.length());
      return end < 0 ? null : commentMark(sql.substring(i + COMMENT_START.length(), end));
    }
    if (!sql.startsWith(HINT_START, i)) {
      if (!sql.regionMatches(true, i, "select", 0, 6)) {
        return null;
      }
      i = skipSpace(sql, i + 6);
      if (!sql.startsWith(HINT_START, i)) {
        return null;
      }
    }
    int end = sql.indexOf("*/", i + HINT_START.length());
    return end < 0 ? null : parseHints(sql, i + HINT_START.length(), end);
  }

  /**
   * Finds {@code incremental} among the comment's hints ({@code a(x) incremental(consistency=strong) b}),
   * ignoring the others. A hint's arguments end at their matching parenthesis
   * ({@code incremental(consistency=bounded(500))}); a comment whose parentheses do not balance holds no mark. An
   * {@code incremental} with options it does not understand is not a mark: better a query that is not served
   * than one served with a consistency the application did not ask for.
   */
  private static ReadConsistency parseHints(String sql, int from, int end) {
    if (!balanced(sql, from, end)) {
      return null;
    }
    int i = from;
    while (i < end) {
      i = skipSeparators(sql, i, end);
      int word = i;
      while (i < end && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '_')) {
        i++;
      }
      boolean ours = i - word == WORD.length() && sql.regionMatches(true, word, WORD, 0, WORD.length());
      int j = skipSpace(sql, i);
      String args = null;
      if (j < end && sql.charAt(j) == '(') {
        int close = matchingParenthesis(sql, j, end);
        if (close < 0) {
          return null;
        }
        args = sql.substring(j + 1, close);
        i = close + 1;
      } else if (i == word) {
        i++; // a character that starts no hint
      }
      if (ours) {
        return args == null ? ReadConsistency.DEFAULT : consistency(args);
      }
    }
    return null;
  }

  /** Whether every {@code (} in {@code sql} between {@code from} and {@code end} is closed, and nothing else is. */
  private static boolean balanced(String sql, int from, int end) {
    int depth = 0;
    for (int k = from; k < end && depth >= 0; k++) {
      char ch = sql.charAt(k);
      if (ch == '(') {
        depth++;
      } else if (ch == ')') {
        depth--;
      }
    }
    return depth == 0;
  }

  /** The index of the {@code )} that closes the {@code (} at {@code open}, before {@code end}; -1 if none does. */
  private static int matchingParenthesis(String sql, int open, int end) {
    int depth = 0;
    for (int k = open; k < end; k++) {
      char ch = sql.charAt(k);
      if (ch == '(') {
        depth++;
      } else if (ch == ')' && --depth == 0) {
        return k;
      }
    }
    return -1;
  }

  /**
   * A plain comment at the start of the SQL marks it when it says nothing but {@code incremental} or
   * {@code incremental(consistency=…)}: what ORMs put there for a query comment (Hibernate's
   * {@code Query.setComment("incremental")} or the {@code org.hibernate.comment} hint, with
   * {@code hibernate.use_sql_comments=true}), for applications that cannot write a hint. Any other text in
   * the comment leaves the query unmarked.
   */
  private static ReadConsistency commentMark(String body) {
    String b = body.strip();
    if (!b.regionMatches(true, 0, WORD, 0, WORD.length())) {
      return null;
    }
    String rest = b.substring(WORD.length()).strip();
    if (rest.isEmpty()) {
      return ReadConsistency.DEFAULT;
    }
    if (rest.charAt(0) != '(' || matchingParenthesis(rest, 0, rest.length()) != rest.length() - 1) {
      return null;
    }
    return consistency(rest.substring(1, rest.length() - 1));
  }

  /**
   * {@code consistency=<value>} ({@link ReadConsistency#parse}, or {@code default}: the connection's), nothing
   * (the connection's too), or null for anything else.
   */
  private static ReadConsistency consistency(String args) {
    String a = args.strip();
    if (a.isEmpty()) {
      return ReadConsistency.DEFAULT;
    }
    int eq = a.indexOf('=');
    if (eq < 0 || !a.substring(0, eq).strip().equalsIgnoreCase("consistency")) {
      return null;
    }
    String value = a.substring(eq + 1).strip();
    return value.equalsIgnoreCase("default") ? ReadConsistency.DEFAULT : ReadConsistency.parse(value);
  }

  private static int skipSpace(String s, int i) {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
    return i;
  }

  private static int skipSeparators(String s, int i, int end) {
    while (i < end && (Character.isWhitespace(s.charAt(i)) || s.charAt(i) == ',')) {
      i++;
    }
    return i;
  }
}
