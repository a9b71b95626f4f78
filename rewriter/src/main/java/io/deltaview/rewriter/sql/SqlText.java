package io.deltaview.rewriter.sql;

/**
 * Lexical helpers over raw SQL text that every module shares, so that "where does the statement start" has one
 * answer: whitespace, {@code --} comments to the end of the line and {@code /* *}{@code /} comments, which
 * nest in PostgreSQL (a hint such as <code>/*+ incremental *&#47;</code> is a block comment too). Nothing here
 * allocates, so the per-query path may use it.
 */
public final class SqlText {

  /** How much of a statement a log line at INFO or above may quote. */
  public static final int MAX_LOGGED_CHARS = 200;

  private SqlText() {
  }

  /**
   * The index of the first character at or after {@code from} that is neither whitespace nor inside a comment;
   * {@code s.length()} if there is none. An unterminated block comment runs to the end, as PostgreSQL reads it.
   * (One routine for the whole project: {@link PgLexer#skipSpaceAndComments}.)
   */
  public static int skipSpaceAndComments(CharSequence s, int from) {
    return PgLexer.skipSpaceAndComments(s, from);
  }

  /**
   * Whether the word at {@code i} of {@code s} is {@code word} (ASCII, any case) and ends there: not followed
   * by a letter, digit, {@code _} or {@code $}.
   */
  public static boolean startsWithWord(CharSequence s, int i, String word) {
    int end = i + word.length();
    if (end > s.length()) {
      return false;
    }
    for (int k = 0; k < word.length(); k++) {
      if (Character.toLowerCase(s.charAt(i + k)) != Character.toLowerCase(word.charAt(k))) {
        return false;
      }
    }
    if (end == s.length()) {
      return true;
    }
    char next = s.charAt(end);
    return !(Character.isLetterOrDigit(next) || next == '_' || next == '$');
  }

  /**
   * A short, one-line form of {@code sql} for log lines at INFO or above: at most {@link #MAX_LOGGED_CHARS}
   * characters, whitespace runs collapsed, and the full length when cut. SQL text can hold literals an
   * application would not want in its logs, and a generated statement can be megabytes; the whole text belongs
   * at DEBUG only.
   */
  public static String abbreviate(String sql) {
    if (sql == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder(Math.min(sql.length(), MAX_LOGGED_CHARS) + 32);
    boolean space = false;
    int i = 0;
    int n = sql.length();
    while (i < n && Character.isWhitespace(sql.charAt(i))) {
      i++;
    }
    for (; i < n && b.length() < MAX_LOGGED_CHARS; i++) {
      char c = sql.charAt(i);
      if (Character.isWhitespace(c)) {
        space = true;
      } else {
        if (space) {
          b.append(' ');
          space = false;
        }
        b.append(c);
      }
    }
    if (i < n && !sql.substring(i).isBlank()) {
      b.append("… (").append(n).append(" characters)");
    }
    return b.toString();
  }
}
