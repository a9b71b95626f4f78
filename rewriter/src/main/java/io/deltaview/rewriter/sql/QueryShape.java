package io.deltaview.rewriter.sql;

import java.math.BigDecimal;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A query's text as a <em>shape</em> and the literal values lifted out of it, so that texts that differ only
 * in those values ({@code WHERE id = 5}, {@code WHERE id = 6}) can share one rewrite decision. The shape keeps
 * everything else as written, and in place of each lifted literal its type class: an integer PostgreSQL types
 * {@code int4}, a decimal of a given precision and scale, or a string.
 *
 * <p>Only literals whose value cannot change what a query means beyond the value itself are lifted: integers
 * up to {@code 2147483647}, decimals with digits after the point and no exponent, and plain {@code '…'} strings of
 * printable ASCII without a backslash; each standing as an operand, that is after an operator, {@code (},
 * {@code ,} or one of {@link #OPERAND_BEFORE} and before an operator, {@code )}, {@code ,}, {@code ;}, the end
 * or one of {@link #OPERAND_AFTER}. So a cast ({@code '5'::int}), a typed literal ({@code DATE '…'},
 * {@code interval '1 day'}), a {@code COLLATE}d string and a negative number's sign stay in the shape, as do
 * every literal of ORDER BY and GROUP BY (an integer there is a column's ordinal), of LIMIT, OFFSET and FETCH,
 * and of DISTINCT ON. So does any literal whose value a view's definition holds ({@link #constants}): a view
 * {@code WHERE x IN (1, 2, 3)} answers {@code x = 2} but not {@code x = 7}, so {@code x = 2} is a shape of its
 * own. Whether a shape's decision then holds for every value is the rewriter's to prove.
 */
public final class QueryShape {

  // Keywords in lower case, looked up with lower(word).
  /** Words after which a literal is an operand. */
  static final Set<String> OPERAND_BEFORE = Set.of("select", "where", "and", "or", "not", "when", "then", "else",
      "like", "ilike", "between", "having", "on");
  /** Words before which a literal is an operand. */
  static final Set<String> OPERAND_AFTER = Set.of("and", "or", "then", "else", "end", "when", "from", "where",
      "group", "order", "having", "limit", "offset", "fetch", "union", "except", "intersect", "as", "is", "not",
      "like", "ilike", "between", "in");

  /** A word in lower case; the same instance when it is already (most SQL is written in one case). */
  private static String lower(String word) {
    for (int i = 0; i < word.length(); i++) {
      char c = word.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        return word.toLowerCase(Locale.ROOT);
      }
    }
    return word;
  }

  /** Stands for a lifted literal in a key; PostgreSQL accepts no NUL in a query, so it cannot come from the text. */
  private static final char SLOT = '\0';

  private final String sql;
  private final String key;
  private final List<Literal> literals;

  /**
   * One lifted literal.
   *
   * @param start offset of the literal in the text
   * @param end offset just after it
   * @param rendered the literal as PostgreSQL reads the same value and type: the decimal digits of an integer
   *     or decimal, a string quoted with {@code '} (doubled inside)
   * @param parameter which {@code ?} of {@link #parameterized()} stands for it, counting from 0
   */
  public record Literal(int start, int end, String rendered, int parameter) {}

  private QueryShape(String sql, String key, List<Literal> literals) {
    this.sql = sql;
    this.key = key;
    this.literals = List.copyOf(literals);
  }

  /**
   * The shape of {@code sql}, or null when there is none to share: nothing could be lifted, the text does not
   * follow PostgreSQL's lexical rules, holds a NUL, or numbers its parameters ({@code $1}).
   *
   * @param constants the values views' definitions hold ({@link #constants}); literals with those values stay
   */
  public static QueryShape of(String sql, Set<String> constants) {
    if (sql.indexOf(SLOT) >= 0) {
      return null;
    }
    List<PgLexer.Token> tokens;
    try {
      tokens = PgLexer.tokens(sql);
    } catch (SQLException e) {
      return null;
    }
    List<Literal> lifted = new ArrayList<>();
    StringBuilder key = new StringBuilder(sql.length() + 16);
    int copied = 0;
    int parameters = 0;
    // whether literals stay at this parenthesis depth, and at the outer ones: in ORDER BY, GROUP BY, PARTITION BY
    // and DISTINCT ON (ordinals), LIMIT, OFFSET and FETCH (row counts), until another clause starts
    boolean unlifted = false;
    Deque<Boolean> outer = new ArrayDeque<>();
    for (int i = 0; i < tokens.size(); i++) {
      PgLexer.Token t = tokens.get(i);
      PgLexer.Token before = i > 0 ? tokens.get(i - 1) : null;
      switch (t.kind()) {
        case PARAMETER -> {
          if (!t.text().equals("?")) {
            return null;
          }
          parameters++;
        }
        case OPERATOR -> {
          if (t.text().indexOf('?') >= 0) {
            return null; // a JDBC parameter the lexer ran into an operator (id=?): the count would be off
          }
        }
        case PUNCTUATION -> {
          if (t.isPunctuation('(')) {
            outer.push(unlifted);
          } else if (t.isPunctuation(')') && !outer.isEmpty()) {
            unlifted = outer.pop();
          }
        }
        case WORD -> {
          switch (lower(t.text())) {
            case "by" -> unlifted |= before != null && (before.isWord("order") || before.isWord("group")
                || before.isWord("partition"));
            case "on" -> unlifted = before != null && before.isWord("distinct");
            case "limit", "offset", "fetch" -> unlifted = true;
            case "select", "from", "where", "having", "window", "union", "except", "intersect", "join",
                "returning" -> unlifted = false;
            default -> { }
          }
        }
        case NUMBER, STRING -> {
          String rendered = unlifted ? null : liftable(t, before, i + 1 < tokens.size() ? tokens.get(i + 1) : null);
          if (rendered != null && !held(t, constants)) {
            key.append(sql, copied, t.start()).append(SLOT).append(typeClass(t, rendered)).append(SLOT);
            copied = t.start() + t.text().length();
            lifted.add(new Literal(t.start(), copied, rendered, parameters++));
          }
        }
        default -> { }
      }
    }
    if (lifted.isEmpty()) {
      return null;
    }
    key.append(sql, copied, sql.length());
    return new QueryShape(sql, key.toString(), lifted);
  }

  /** The literal as it is lifted (see {@link Literal#rendered}), or null when it stays in the shape. */
  private static String liftable(PgLexer.Token t, PgLexer.Token before, PgLexer.Token after) {
    if (before == null || !isOperandBoundary(before, OPERAND_BEFORE) || (before.kind() == PgLexer.Kind.PUNCTUATION
        && !before.isPunctuation('(') && !before.isPunctuation(','))) {
      return null;
    }
    if (after != null && (!isOperandBoundary(after, OPERAND_AFTER) || (after.kind() == PgLexer.Kind.PUNCTUATION
        && !after.isPunctuation(')') && !after.isPunctuation(',') && !after.isPunctuation(';')))) {
      return null;
    }
    if (t.kind() == PgLexer.Kind.STRING) {
      String value = t.value();
      int quotes = 0;
      for (int k = 0; k < value.length(); k++) {
        char c = value.charAt(k);
        if (c < 0x20 || c > 0x7e || c == '\\') {
          return null;
        }
        quotes += c == '\'' ? 1 : 0;
      }
      // written '…' with each quote doubled, nothing else: not E'…', $$…$$, N'…', nor continued over lines
      String text = t.text();
      return text.charAt(0) == '\'' && text.length() == value.length() + quotes + 2 ? text : null;
    }
    String n = t.text();
    int point = n.indexOf('.');
    for (int k = 0; k < n.length(); k++) {
      if (k != point && !Character.isDigit(n.charAt(k))) {
        return null; // an exponent or underscores
      }
    }
    BigDecimal value = new BigDecimal(n);
    if (point < 0) {
      return value.compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) <= 0 ? value.toPlainString() : null;
    }
    return point < n.length() - 1 ? value.toPlainString() : null; // "5." would read back as an integer
  }

  /** Whether {@code t} may stand beside an operand: an operator, punctuation, or one of {@code words}. */
  private static boolean isOperandBoundary(PgLexer.Token t, Set<String> words) {
    return switch (t.kind()) {
      case OPERATOR, PUNCTUATION -> true;
      case WORD -> words.contains(lower(t.text()));
      default -> false;
    };
  }

  /** The type PostgreSQL and Calcite give the literal, as a few characters of the key. */
  private static String typeClass(PgLexer.Token t, String rendered) {
    if (t.kind() == PgLexer.Kind.STRING) {
      return "s";
    }
    BigDecimal value = new BigDecimal(rendered);
    return rendered.indexOf('.') < 0 ? "i" : "d" + value.precision() + "," + value.scale();
  }

  /**
   * The values written in {@code definitions} (views' queries), in the form {@link #of} compares literals in:
   * a number by its value ({@code 5}, {@code 5.0} and {@code '5'} are one), a string by its text. Text that does
   * not follow PostgreSQL's lexical rules contributes nothing (a view with it is not used for rewriting anyway).
   */
  public static Set<String> constants(Collection<String> definitions) {
    Set<String> out = new HashSet<>();
    for (String definition : definitions) {
      List<PgLexer.Token> tokens;
      try {
        tokens = PgLexer.tokens(definition);
      } catch (SQLException e) {
        continue;
      }
      for (PgLexer.Token t : tokens) {
        switch (t.kind()) {
          case NUMBER, STRING, BIT_STRING -> {
            out.add(constant(t));
            BigDecimal number = number(t.value());
            if (number != null) {
              out.add(numberConstant(number));
            }
          }
          default -> { }
        }
      }
    }
    return out;
  }

  /** Whether a view's definition holds the literal's value, as a number or as a string. */
  private static boolean held(PgLexer.Token t, Set<String> constants) {
    if (constants.contains(constant(t))) {
      return true;
    }
    BigDecimal number = t.kind() == PgLexer.Kind.STRING ? number(t.value()) : null;
    return number != null && constants.contains(numberConstant(number));
  }

  /** How {@link #constants} holds a literal's value. */
  private static String constant(PgLexer.Token t) {
    BigDecimal number = t.kind() == PgLexer.Kind.NUMBER ? number(t.text()) : null;
    return number != null ? numberConstant(number) : "s:" + t.value();
  }

  private static String numberConstant(BigDecimal number) {
    return "n:" + (number.signum() == 0 ? "0" : number.stripTrailingZeros().toPlainString());
  }

  /** The number {@code text} spells (as a numeric literal or a string cast to a number would), else null. */
  private static BigDecimal number(String text) {
    boolean digit = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      digit |= c >= '0' && c <= '9';
      if ((c < '0' || c > '9') && ".+-eE_ ".indexOf(c) < 0) {
        return null; // most strings: decided without the cost of an exception
      }
    }
    if (!digit) {
      return null;
    }
    try {
      return new BigDecimal(text.trim().replace("_", ""));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The text this shape was made from. */
  public String sql() {
    return sql;
  }

  /** The shape: texts with equal keys differ only in the values of their lifted literals. */
  public String key() {
    return key;
  }

  /** The lifted literals, in text order. */
  public List<Literal> literals() {
    return literals;
  }

  /** The text with each lifted literal replaced by a {@code ?} parameter. */
  public String parameterized() {
    StringBuilder out = new StringBuilder(sql.length());
    int copied = 0;
    for (Literal l : literals) {
      out.append(sql, copied, l.start()).append('?');
      copied = l.end();
    }
    return out.append(sql, copied, sql.length()).toString();
  }

  /**
   * Whether {@code text} (a pass-through reason) could quote one of the lifted values: a string in quotes, or a
   * number's digits not next to other digits, letters, {@code _} or {@code $}. Such a reason belongs to these
   * values, not to the shape.
   */
  public boolean quotesALiteral(String text) {
    for (Literal l : literals) {
      String r = l.rendered();
      if (r.charAt(0) == '\'') {
        String value = r.substring(1, r.length() - 1).replace("''", "'");
        if (text.contains(r) || text.contains("'" + value + "'")) {
          return true;
        }
        continue;
      }
      for (int at = text.indexOf(r); at >= 0; at = text.indexOf(r, at + 1)) {
        if ((at == 0 || !isWordChar(text.charAt(at - 1)))
            && (at + r.length() == text.length() || !isWordChar(text.charAt(at + r.length())))) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean isWordChar(char c) {
    return Character.isLetterOrDigit(c) || c == '$' || c == '_';
  }
}
