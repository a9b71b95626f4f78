package io.deltaview.driver.route;

import io.deltaview.rewriter.sql.PgLexer;
import io.deltaview.rewriter.sql.SqlText;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Classifies SQL as a read, a write to named tables, a write to unknown tables, or transaction control,
 * by looking at a few keywords instead of parsing. It errs towards "unknown write": that only makes later
 * reads in the same transaction pass through, while calling a write a read would let a rewritten query
 * miss the transaction's own changes.
 *
 * <p>Functions called from a {@code SELECT}, triggers, rules and {@code ON DELETE CASCADE} may write other
 * tables; like the brief for this class says, such side effects are not seen.
 */
public final class StatementClassifier {

  /** What one statement does to the session's transaction. */
  public enum Kind {
    /** Reads only. */
    READ,
    /** Writes exactly {@link Classification#tables()}. */
    WRITE,
    /**
     * May write any table (DDL, {@code CALL}, {@code COPY}, {@code SELECT ... FOR UPDATE}, ...), or makes writes
     * visible ({@code COMMIT PREPARED}).
     */
    UNKNOWN_WRITE,
    /** {@code BEGIN} / {@code START TRANSACTION}: opens a transaction block even under autocommit. */
    BEGIN,
    /** {@code COMMIT}, {@code END}, {@code PREPARE TRANSACTION}: the transaction ends, its writes kept. */
    END,
    /** {@code ROLLBACK}, {@code ABORT}: the transaction ends and its writes are gone. */
    ROLLBACK,
    /** Writes nothing and leaves the transaction as it is ({@code SET}, {@code SAVEPOINT}, ...). */
    NEUTRAL
  }

  /** One statement's classification; {@code tables} is non-empty exactly for {@link Kind#WRITE}. */
  public record Classification(Kind kind, List<String> tables) {
    public Classification {
      tables = List.copyOf(tables);
    }

    static Classification of(Kind kind) {
      return new Classification(kind, List.of());
    }
  }

  private static final Classification READ = Classification.of(Kind.READ);
  private static final Classification UNKNOWN_WRITE = Classification.of(Kind.UNKNOWN_WRITE);
  private static final Classification NEUTRAL = Classification.of(Kind.NEUTRAL);
  private static final Set<String> WRITE_VERBS = Set.of("insert", "update", "delete", "merge", "truncate");
  private static final Set<String> MAIN_VERBS =
      Set.of("select", "insert", "update", "delete", "merge", "values", "table");
  private static final Set<String> NEUTRAL_VERBS = Set.of("set", "reset", "savepoint", "release", "listen",
      "unlisten", "notify", "fetch", "move", "close", "deallocate", "discard", "lock", "prepare");

  private StatementClassifier() {
  }

  /** Classifies each {@code ;}-separated statement of {@code sql}, in order; empty statements are skipped. */
  public static List<Classification> classify(String sql) {
    List<Classification> out = new ArrayList<>(1);
    for (List<Token> statement : new Lexer(sql).statements()) {
      if (!statement.isEmpty()) {
        out.add(classify(statement, 0));
      }
    }
    return out;
  }

  /**
   * The first keyword of {@code sql} (lower-case), skipping whitespace, comments and opening parentheses;
   * empty if there is none. Cheap: reads only the start of the string.
   */
  public static String firstKeyword(String sql) {
    int start = keywordStart(sql);
    int i = start;
    while (i < sql.length() && Character.isLetter(sql.charAt(i))) {
      i++;
    }
    return sql.substring(start, i).toLowerCase(Locale.ROOT);
  }

  /**
   * Whether the first keyword of {@code sql} is {@code keyword} (lower-case), without allocating: the
   * per-execution check for {@code BEGIN} under autocommit.
   */
  public static boolean startsWithKeyword(String sql, String keyword) {
    int start = keywordStart(sql);
    int end = start + keyword.length();
    return sql.regionMatches(true, start, keyword, 0, keyword.length())
        && (end == sql.length() || !Character.isLetter(sql.charAt(end)));
  }

  private static int keywordStart(String sql) {
    int i = SqlText.skipSpaceAndComments(sql, 0);
    while (i < sql.length() && sql.charAt(i) == '(') {
      i = SqlText.skipSpaceAndComments(sql, i + 1);
    }
    return i;
  }

  /**
   * Where each {@code ;}-separated statement of {@code sql} starts: the index of its first character that is
   * neither whitespace nor comment ({@code sql.length()} for an empty last statement). Semicolons inside
   * strings, quoted identifiers, dollar quotes and comments do not separate statements.
   */
  public static int[] statementStarts(String sql) {
    List<Integer> starts = new ArrayList<>(2);
    new Lexer(sql).statements(starts);
    int[] out = new int[starts.size()];
    for (int k = 0; k < out.length; k++) {
      out[k] = starts.get(k);
    }
    return out;
  }

  private static Classification classify(List<Token> t, int from) {
    int i = from;
    while (i < t.size() && t.get(i).isSymbol('(')) {
      i++;
    }
    if (i >= t.size() || t.get(i).type != Token.WORD) {
      return UNKNOWN_WRITE;
    }
    String verb = t.get(i).text;
    switch (verb) {
      case "select":
        return select(t, i + 1);
      case "values":
      case "show":
      case "table":
        return READ;
      case "explain":
        return explain(t, i + 1);
      case "with":
        return with(t, i + 1);
      case "insert":
      case "merge":
        return t.size() > i + 1 && t.get(i + 1).isWord("into") ? targets(t, i + 2, false) : UNKNOWN_WRITE;
      case "update":
        return targets(t, i + 1, false);
      case "delete":
        return t.size() > i + 1 && t.get(i + 1).isWord("from") ? targets(t, i + 2, false) : UNKNOWN_WRITE;
      case "truncate":
        return truncate(t, i + 1);
      case "begin":
      case "start":
        return Classification.of(Kind.BEGIN);
      case "commit":
        // COMMIT PREPARED leaves this session's transaction alone but makes a prepared one's writes visible.
        return word(t, i + 1, "prepared") ? UNKNOWN_WRITE : Classification.of(Kind.END);
      case "end":
        return Classification.of(Kind.END);
      case "abort":
        return Classification.of(Kind.ROLLBACK);
      case "rollback":
        // ROLLBACK [WORK|TRANSACTION] TO [SAVEPOINT] s keeps the transaction and (conservatively) its writes.
        int j = word(t, i + 1, "work") || word(t, i + 1, "transaction") ? i + 2 : i + 1;
        return word(t, j, "to") || word(t, j, "prepared") ? NEUTRAL : Classification.of(Kind.ROLLBACK);
      case "prepare":
        return word(t, i + 1, "transaction") ? Classification.of(Kind.END) : NEUTRAL;
      case "declare":
        return declare(t, i + 1);
      default:
        return NEUTRAL_VERBS.contains(verb) ? NEUTRAL : UNKNOWN_WRITE;
    }
  }

  private static boolean word(List<Token> t, int i, String w) {
    return i < t.size() && t.get(i).isWord(w);
  }

  /** SELECT ... FOR UPDATE/SHARE locks rows and SELECT ... INTO creates a table: neither is a plain read. */
  private static Classification select(List<Token> t, int from) {
    int depth = 0;
    for (int i = from; i < t.size(); i++) {
      Token tok = t.get(i);
      if (tok.isSymbol('(')) {
        depth++;
      } else if (tok.isSymbol(')')) {
        depth--;
      } else if (tok.isWord("for") && i + 1 < t.size()) {
        Token next = t.get(i + 1);
        if (next.isWord("update") || next.isWord("share") || next.isWord("no") || next.isWord("key")) {
          return UNKNOWN_WRITE;
        }
      } else if (depth == 0 && tok.isWord("into")) {
        return UNKNOWN_WRITE;
      }
    }
    return READ;
  }

  /** EXPLAIN runs its statement only with ANALYZE; then the statement's own classification applies. */
  private static Classification explain(List<Token> t, int from) {
    int i = from;
    boolean analyze = false;
    if (i < t.size() && t.get(i).isSymbol('(')) {
      for (i++; i < t.size() && !t.get(i).isSymbol(')'); i++) {
        Token tok = t.get(i);
        if (tok.isWord("analyze") || tok.isWord("analyse")) {
          analyze = !(word(t, i + 1, "false") || word(t, i + 1, "off") || (i + 1 < t.size()
              && t.get(i + 1).text.equals("0")));
        }
      }
      i++;
    } else {
      while (i < t.size() && (t.get(i).isWord("analyze") || t.get(i).isWord("analyse")
          || t.get(i).isWord("verbose"))) {
        analyze |= !t.get(i).isWord("verbose");
        i++;
      }
    }
    return analyze ? classify(t, i) : READ;
  }

  /**
   * WITH: a write verb inside any CTE body makes it an unknown write; otherwise the main statement after the
   * CTE list decides (so {@code WITH x AS (SELECT ...) INSERT INTO t ...} writes {@code t}).
   */
  private static Classification with(List<Token> t, int from) {
    int depth = 0;
    int main = -1;
    for (int i = from; i < t.size(); i++) {
      Token tok = t.get(i);
      if (tok.isSymbol('(')) {
        depth++;
      } else if (tok.isSymbol(')')) {
        depth--;
      } else if (tok.type == Token.WORD && depth > 0 && WRITE_VERBS.contains(tok.text)) {
        return UNKNOWN_WRITE;
      } else if (main < 0 && depth == 0 && tok.type == Token.WORD && MAIN_VERBS.contains(tok.text)) {
        main = i;
      }
    }
    return main < 0 ? UNKNOWN_WRITE : classify(t, main);
  }

  private static Classification declare(List<Token> t, int from) {
    for (int i = from; i < t.size(); i++) {
      if (t.get(i).isWord("for")) {
        Classification query = classify(t, i + 1);
        return query.kind() == Kind.READ ? READ : UNKNOWN_WRITE;
      }
    }
    return UNKNOWN_WRITE;
  }

  private static Classification truncate(List<Token> t, int from) {
    for (int i = from; i < t.size(); i++) {
      if (t.get(i).isWord("cascade")) {
        return UNKNOWN_WRITE; // also empties tables that reference the named ones
      }
    }
    return targets(t, word(t, from, "table") ? from + 1 : from, true);
  }

  /** Reads {@code [ONLY] name [*]}, and with {@code list} more of them separated by commas. */
  private static Classification targets(List<Token> t, int from, boolean list) {
    List<String> tables = new ArrayList<>(1);
    int i = from;
    while (true) {
      if (word(t, i, "only")) {
        i++;
      }
      StringBuilder name = new StringBuilder();
      String previous = null;
      String last = null;
      while (i < t.size() && t.get(i).isIdentifier()) {
        previous = last;
        last = t.get(i).text;
        i++;
        if (i + 1 < t.size() && t.get(i).isSymbol('.') && t.get(i + 1).isIdentifier()) {
          i++;
        } else {
          break;
        }
      }
      if (last == null) {
        return UNKNOWN_WRITE;
      }
      if (previous != null) {
        name.append(previous).append('.'); // keep schema.table of database.schema.table
      }
      tables.add(name.append(last).toString());
      if (i < t.size() && t.get(i).isSymbol('*')) {
        i++;
      }
      if (list && i < t.size() && t.get(i).isSymbol(',')) {
        i++;
      } else {
        return new Classification(Kind.WRITE, tables);
      }
    }
  }

  /** A lexical token: a word (lower-cased), a quoted identifier (as written), a literal or one symbol. */
  private record Token(int type, String text) {
    static final int WORD = 0;
    static final int QUOTED = 1;
    static final int LITERAL = 2;
    static final int SYMBOL = 3;

    boolean isWord(String w) {
      return type == WORD && text.equals(w);
    }

    boolean isSymbol(char c) {
      return type == SYMBOL && text.length() == 1 && text.charAt(0) == c;
    }

    boolean isIdentifier() {
      return type == WORD || type == QUOTED;
    }
  }

  /**
   * Splits SQL into statements of the classifier's tokens, with PostgreSQL's lexical rules ({@link PgLexer}:
   * comments, every string form, quoted identifiers, dollar quotes). Operators become one symbol per
   * character, numbers words, as the classifier reads them.
   */
  private static final class Lexer {
    private final String s;

    Lexer(String s) {
      this.s = s;
    }

    List<List<Token>> statements() {
      return statements(null);
    }

    /**
     * The statements' tokens; when {@code starts} is given, each statement's start index is added to it. SQL
     * that PostgreSQL's lexer cannot split (an unterminated string or comment) is one statement that can only
     * be an unknown write: PostgreSQL rejects it, and nothing about it may be taken for a plain read.
     */
    List<List<Token>> statements(List<Integer> starts) {
      List<List<Token>> out = new ArrayList<>(1);
      if (starts != null) {
        starts.add(SqlText.skipSpaceAndComments(s, 0));
      }
      List<PgLexer.Token> tokens;
      try {
        tokens = PgLexer.tokens(s);
      } catch (SQLException e) {
        out.add(List.of(new Token(Token.LITERAL, s))); // no verb first: an unknown write
        return out;
      }
      List<Token> current = new ArrayList<>();
      for (PgLexer.Token t : tokens) {
        switch (t.kind()) {
          case WORD -> current.add(new Token(Token.WORD, t.text().toLowerCase(Locale.ROOT)));
          case NUMBER -> current.add(new Token(Token.WORD, t.text()));
          case QUOTED_IDENTIFIER -> current.add(new Token(Token.QUOTED, t.value()));
          case STRING, BIT_STRING -> current.add(new Token(Token.LITERAL, t.value()));
          case PARAMETER -> current.add(new Token(Token.SYMBOL, t.text()));
          case OPERATOR -> {
            for (int k = 0; k < t.text().length(); k++) {
              current.add(new Token(Token.SYMBOL, String.valueOf(t.text().charAt(k))));
            }
          }
          case PUNCTUATION -> {
            if (t.isPunctuation(';')) {
              out.add(current);
              current = new ArrayList<>();
              if (starts != null) {
                starts.add(SqlText.skipSpaceAndComments(s, t.start() + 1));
              }
            } else {
              current.add(new Token(Token.SYMBOL, t.text()));
            }
          }
          default -> throw new IllegalStateException("token kind " + t.kind());
        }
      }
      out.add(current);
      return out;
    }
  }
}
