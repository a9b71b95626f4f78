package io.deltaview.rewriter.sql;

import java.math.BigDecimal;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
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

  /** Words after which a literal is an operand (in lower case: compared ignoring case). */
  private static final String[] OPERAND_BEFORE = {"select", "where", "and", "or", "not", "when", "then", "else",
      "like", "ilike", "between", "having", "on"};
  /** Words before which a literal is an operand. */
  private static final String[] OPERAND_AFTER = {"and", "or", "then", "else", "end", "when", "from", "where",
      "group", "order", "having", "limit", "offset", "fetch", "union", "except", "intersect", "as", "is", "not",
      "like", "ilike", "between", "in"};
  /** Words that start a clause whose literals are operands again. */
  private static final String[] CLAUSES = {"select", "from", "where", "having", "window", "union", "except",
      "intersect", "join", "returning"};
  private static final String[] ROW_COUNTS = {"limit", "offset", "fetch"};

  /**
   * Every word the shape looks at, each standing for one bit: a word of the text is matched once, against the few
   * of these with its length and first letter, instead of against each list in turn.
   */
  private static final List<String> KEYWORDS = keywords();
  private static final long BEFORE_BITS = bits(OPERAND_BEFORE);
  private static final long AFTER_BITS = bits(OPERAND_AFTER);
  private static final long CLAUSE_BITS = bits(CLAUSES);
  private static final long ROW_COUNT_BITS = bits(ROW_COUNTS);
  private static final long BY = bits("by");
  private static final long ON = bits("on");
  private static final long ORDERING_BITS = bits("order", "group", "partition");
  private static final long DISTINCT = bits("distinct");
  private static final int LONGEST = 9;
  /** Indexes into {@link #KEYWORDS} by {@code length * 26 + first letter}. */
  private static final int[][] CANDIDATES = candidates();

  private static List<String> keywords() {
    LinkedHashSet<String> all = new LinkedHashSet<>();
    for (String[] list : List.of(OPERAND_BEFORE, OPERAND_AFTER, CLAUSES, ROW_COUNTS,
        new String[] {"by", "on", "order", "group", "partition", "distinct"})) {
      all.addAll(List.of(list));
    }
    if (all.size() > 64) {
      throw new AssertionError("one bit per keyword");
    }
    return List.copyOf(all);
  }

  private static long bits(String... words) {
    long bits = 0;
    for (String w : words) {
      bits |= 1L << KEYWORDS.indexOf(w);
    }
    return bits;
  }

  private static int[][] candidates() {
    int[][] out = new int[(LONGEST + 1) * 26][];
    for (int slot = 0; slot < out.length; slot++) {
      List<Integer> matching = new ArrayList<>();
      for (int k = 0; k < KEYWORDS.size(); k++) {
        String w = KEYWORDS.get(k);
        if (w.length() * 26 + (w.charAt(0) - 'a') == slot) {
          matching.add(k);
        }
      }
      out[slot] = matching.stream().mapToInt(Integer::intValue).toArray();
    }
    return out;
  }

  /** The bit of {@link #KEYWORDS} that token {@code i} is (any case), or 0 when it is none of them. */
  private static long keyword(PgLexer.Spans tokens, int i) {
    if (tokens.kind(i) != PgLexer.Kind.WORD) {
      return 0;
    }
    int length = tokens.end(i) - tokens.start(i);
    char first = tokens.sql().charAt(tokens.start(i));
    first = first >= 'A' && first <= 'Z' ? (char) (first + ('a' - 'A')) : first;
    if (length > LONGEST || first < 'a' || first > 'z') {
      return 0;
    }
    for (int k : CANDIDATES[length * 26 + (first - 'a')]) {
      if (tokens.isWord(i, KEYWORDS.get(k))) {
        return 1L << k;
      }
    }
    return 0;
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
    // Offsets only: this runs for every text the first level has not seen, so no token objects or substrings
    // beyond what a lifted literal needs.
    PgLexer.Spans tokens;
    try {
      tokens = PgLexer.spans(sql);
    } catch (SQLException e) {
      return null;
    }
    List<Literal> lifted = new ArrayList<>(4);
    StringBuilder key = null;
    int copied = 0;
    int parameters = 0;
    // whether literals stay at this parenthesis depth, and at the outer ones: in ORDER BY, GROUP BY, PARTITION BY
    // and DISTINCT ON (ordinals), LIMIT, OFFSET and FETCH (row counts), until another clause starts
    boolean unlifted = false;
    long outer = 0; // a stack of those flags, one bit per open parenthesis
    int depth = 0;
    Deque<Boolean> deeper = null; // beyond 64 open parentheses
    for (int i = 0; i < tokens.size(); i++) {
      switch (tokens.kind(i)) {
        case PARAMETER -> {
          if (sql.charAt(tokens.start(i)) != '?') {
            return null;
          }
          parameters++;
        }
        case OPERATOR -> {
          if (tokens.contains(i, '?')) {
            return null; // pgjdbc's ?? escape: left to planning, as the planner reads the text as written
          }
        }
        case PUNCTUATION -> {
          if (tokens.isPunctuation(i, '(')) {
            if (depth < 64) {
              outer = unlifted ? outer | (1L << depth) : outer & ~(1L << depth);
            } else {
              if (deeper == null) {
                deeper = new ArrayDeque<>();
              }
              deeper.push(unlifted);
            }
            depth++;
          } else if (tokens.isPunctuation(i, ')') && depth > 0) {
            depth--;
            unlifted = depth < 64 ? (outer & (1L << depth)) != 0 : deeper.pop();
          }
        }
        case WORD -> {
          long word = keyword(tokens, i);
          if (word == BY) {
            unlifted |= i > 0 && (keyword(tokens, i - 1) & ORDERING_BITS) != 0;
          } else if (word == ON) {
            unlifted = i > 0 && keyword(tokens, i - 1) == DISTINCT;
          } else if ((word & ROW_COUNT_BITS) != 0) {
            unlifted = true;
          } else if ((word & CLAUSE_BITS) != 0) {
            unlifted = false;
          }
        }
        case NUMBER, STRING -> {
          String rendered = unlifted ? null : liftable(tokens, i);
          if (rendered != null && !held(tokens, i, rendered, constants)) {
            int start = tokens.start(i);
            if (key == null) {
              key = new StringBuilder(sql.length() + 16);
            }
            key.append(sql, copied, start).append(SLOT);
            appendTypeClass(key, tokens.kind(i), rendered);
            key.append(SLOT);
            copied = tokens.end(i);
            lifted.add(new Literal(start, copied, rendered, parameters++));
          }
        }
        default -> { }
      }
    }
    if (key == null) {
      return null;
    }
    key.append(sql, copied, sql.length());
    return new QueryShape(sql, key.toString(), lifted);
  }

  /** The literal {@code i} as it is lifted (see {@link Literal#rendered}), or null when it stays in the shape. */
  private static String liftable(PgLexer.Spans tokens, int i) {
    if (i == 0 || !isOperandBoundary(tokens, i - 1, BEFORE_BITS)
        || (tokens.kind(i - 1) == PgLexer.Kind.PUNCTUATION && !tokens.isPunctuation(i - 1, '(')
            && !tokens.isPunctuation(i - 1, ','))) {
      return null;
    }
    int after = i + 1;
    if (after < tokens.size() && (!isOperandBoundary(tokens, after, AFTER_BITS)
        || (tokens.kind(after) == PgLexer.Kind.PUNCTUATION && !tokens.isPunctuation(after, ')')
            && !tokens.isPunctuation(after, ',') && !tokens.isPunctuation(after, ';')))) {
      return null;
    }
    String sql = tokens.sql();
    int start = tokens.start(i);
    int end = tokens.end(i);
    if (tokens.kind(i) == PgLexer.Kind.STRING) {
      // Written '…' with each quote doubled and nothing else (not E'…', $$…$$, N'…', nor continued over lines:
      // a continuation holds a line break), its value printable ASCII without a backslash.
      if (sql.charAt(start) != '\'') {
        return null;
      }
      for (int k = start + 1; k < end - 1; k++) {
        char c = sql.charAt(k);
        if (c < 0x20 || c > 0x7e || c == '\\') {
          return null;
        }
      }
      return sql.substring(start, end);
    }
    int point = -1;
    for (int k = start; k < end; k++) {
      char c = sql.charAt(k);
      if (c == '.' && point < 0) {
        point = k;
      } else if (c < '0' || c > '9') {
        return null; // an exponent or underscores
      }
    }
    if (point < 0) {
      // an integer: its digits without leading zeros, if it is an int4
      int digits = start;
      while (digits < end - 1 && sql.charAt(digits) == '0') {
        digits++;
      }
      int length = end - digits;
      if (length > 10 || (length == 10 && sql.substring(digits, end).compareTo("2147483647") > 0)) {
        return null;
      }
      return sql.substring(digits, end);
    }
    // "5." would read back as an integer
    return point < end - 1 ? new BigDecimal(sql.substring(start, end)).toPlainString() : null;
  }

  /** Whether token {@code i} may stand beside an operand: an operator, punctuation, or one of {@code words}. */
  private static boolean isOperandBoundary(PgLexer.Spans tokens, int i, long words) {
    return switch (tokens.kind(i)) {
      case OPERATOR, PUNCTUATION -> true;
      case WORD -> (keyword(tokens, i) & words) != 0;
      default -> false;
    };
  }

  /** The type PostgreSQL and Calcite give the literal, as a few characters of the key. */
  private static void appendTypeClass(StringBuilder key, PgLexer.Kind kind, String rendered) {
    if (kind == PgLexer.Kind.STRING) {
      key.append('s');
    } else if (rendered.indexOf('.') < 0) {
      key.append('i');
    } else {
      BigDecimal value = new BigDecimal(rendered);
      key.append('d').append(value.precision()).append(',').append(value.scale());
    }
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

  /** Whether a view's definition holds the lifted literal's value, as a number or as a string. */
  private static boolean held(PgLexer.Spans tokens, int i, String rendered, Set<String> constants) {
    if (tokens.kind(i) == PgLexer.Kind.NUMBER) {
      // rendered is the plain value, without leading zeros; numberConstant strips the trailing ones
      return constants.contains(rendered.indexOf('.') < 0 ? "n:" + rendered
          : numberConstant(new BigDecimal(rendered)));
    }
    String value = rendered.substring(1, rendered.length() - 1).replace("''", "'");
    if (constants.contains("s:" + value)) {
      return true;
    }
    BigDecimal number = number(value);
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
