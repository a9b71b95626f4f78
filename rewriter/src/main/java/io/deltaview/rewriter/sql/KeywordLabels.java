package io.deltaview.rewriter.sql;

import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.apache.calcite.sql.parser.SqlAbstractParserImpl;
import org.apache.calcite.sql.parser.SqlParser;

/**
 * Quotes a select-list label that follows {@code AS} and that Calcite's parser reserves, before parsing:
 * PostgreSQL takes any keyword there ({@code count(*) AS values}, {@code AS value}), Calcite does not. The
 * label becomes the quoted identifier PostgreSQL makes of the word (in lower case), so the label and every
 * rendering of the query stay PostgreSQL's. Only labels of a select list are touched: PostgreSQL accepts a
 * reserved word as a table alias as little as Calcite does, and words after {@code AS} inside parentheses are
 * type names ({@code CAST(x AS int)}).
 */
final class KeywordLabels {
  private KeywordLabels() {}

  private static final SqlAbstractParserImpl.Metadata CALCITE = SqlParser.create("", SqlFrontEnd.PARSER_CONFIG)
      .getMetadata();

  /** Words after which a select list ends. */
  private static final Set<String> END_OF_SELECT_LIST = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);

  static {
    END_OF_SELECT_LIST.addAll(List.of("from", "where", "group", "having", "window", "order", "limit", "offset",
        "fetch", "union", "intersect", "except", "into", "for"));
  }

  /** {@code sql} with such labels quoted; text that does not follow PostgreSQL's lexical rules as it is. */
  static String rewrite(String sql) {
    if (!containsAs(sql)) {
      return sql;
    }
    List<PgLexer.Token> tokens;
    try {
      tokens = PgLexer.tokens(sql);
    } catch (SQLException e) {
      return sql; // the parser reports it
    }
    StringBuilder out = null;
    int copied = 0;
    Deque<Boolean> outer = new ArrayDeque<>();
    boolean selectList = false;
    for (int i = 0; i < tokens.size(); i++) {
      PgLexer.Token t = tokens.get(i);
      if (t.isPunctuation('(')) {
        outer.push(selectList);
        selectList = false;
      } else if (t.isPunctuation(')')) {
        selectList = !outer.isEmpty() && outer.pop();
      } else if (t.isWord("select")) {
        selectList = true;
      } else if (t.kind() == PgLexer.Kind.WORD && END_OF_SELECT_LIST.contains(t.text())) {
        selectList = false;
      } else if (selectList && t.isWord("as") && i + 1 < tokens.size()) {
        PgLexer.Token label = tokens.get(i + 1);
        boolean call = i + 2 < tokens.size() && tokens.get(i + 2).isPunctuation('(');
        if (label.kind() == PgLexer.Kind.WORD && !call
            && CALCITE.isReservedWord(label.text().toUpperCase(Locale.ROOT))) {
          out = out == null ? new StringBuilder(sql.length() + 8) : out;
          out.append(sql, copied, label.start()).append('"').append(label.text().toLowerCase(Locale.ROOT))
              .append('"');
          copied = label.start() + label.text().length();
        }
      }
    }
    return out == null ? sql : out.append(sql, copied, sql.length()).toString();
  }

  private static boolean containsAs(String sql) {
    for (int i = 0; i + 1 < sql.length(); i++) {
      if ((sql.charAt(i) == 'a' || sql.charAt(i) == 'A') && (sql.charAt(i + 1) == 's' || sql.charAt(i + 1) == 'S')) {
        return true;
      }
    }
    return false;
  }
}
