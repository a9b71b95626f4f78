package io.deltaview.rewriter.sql;

import io.deltaview.rewriter.sql.PgLexer.Token;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.calcite.rel.RelRoot;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeField;

/**
 * PostgreSQL's {@code SELECT} without columns ({@code SELECT FROM t WHERE …}, mostly met as {@code EXISTS (SELECT
 * FROM …)}), which Calcite's parser does not accept. Two steps, as for {@link DistinctOn}: before parsing,
 * {@link #rewrite} gives each such SELECT one constant column named {@code $no_columns}, which changes nothing a
 * query computes (a constant is equal in every row: duplicates, DISTINCT, set operations and EXISTS count the same
 * rows); after conversion, {@link #plan} leaves the outermost query's constant columns out of its result, so that
 * a view defined with no columns has none (a derived table's constant reaches the result only through a
 * {@code *}, and is left out there too).
 */
final class NoColumns {

  private NoColumns() {
  }

  static final String COLUMN = "$no_columns";

  /** {@code sql} with a constant column in each SELECT without columns; {@code sql} itself if it has none. */
  static String rewrite(String sql) throws SQLException {
    if (!mayHave(sql.toLowerCase(Locale.ROOT))) {
      return sql;
    }
    List<Token> tokens = PgLexer.tokens(sql);
    List<Integer> at = emptyListsAt(tokens);
    if (at.isEmpty()) {
      return sql;
    }
    StringBuilder out = new StringBuilder(sql.length() + at.size() * 24);
    int copied = 0;
    for (int i : at) {
      Token t = tokens.get(i);
      int end = t.start() + t.text().length();
      out.append(sql, copied, end).append(" TRUE AS \"").append(COLUMN).append('"');
      copied = end;
    }
    return out.append(sql, copied, sql.length()).toString();
  }

  /**
   * Whether some "select" is followed, after blanks and an "all", by a word ({@link DistinctOn#AFTER_SELECT_LIST})
   * or parenthesis that ends a select list: the test that spares lexing the queries (nearly all) that have no
   * such SELECT. Text inside a comment or string may answer yes; the lexer decides then.
   */
  private static boolean mayHave(String lower) {
    for (int at = lower.indexOf("select"); at >= 0; at = lower.indexOf("select", at + 6)) {
      int i = skipBlanks(lower, at + 6);
      if (startsWithWord(lower, i, "all")) {
        i = skipBlanks(lower, i + 3);
      }
      if (i == lower.length() || lower.charAt(i) == ')' || lower.charAt(i) == ';') {
        return true;
      }
      for (String word : DistinctOn.AFTER_SELECT_LIST) {
        if (startsWithWord(lower, i, word)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Whether {@code word} starts at {@code i} as a whole word ({@code orders} does not start {@code order}). */
  private static boolean startsWithWord(String s, int i, String word) {
    int end = i + word.length();
    return s.startsWith(word, i) && (end == s.length() || !PgLexer.isIdentifierPart(s.charAt(end)));
  }

  private static int skipBlanks(String s, int i) {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
    return i;
  }

  /** Indexes of the {@code SELECT} (or {@code SELECT ALL}) tokens whose select list is empty. */
  private static List<Integer> emptyListsAt(List<Token> tokens) {
    List<Integer> at = new ArrayList<>();
    for (int i = 0; i < tokens.size(); i++) {
      if (!tokens.get(i).isWord("SELECT")) {
        continue;
      }
      int last = i + 1 < tokens.size() && tokens.get(i + 1).isWord("ALL") ? i + 1 : i;
      if (last + 1 == tokens.size() || endsSelectList(tokens.get(last + 1))) {
        at.add(last);
      }
    }
    return at;
  }

  private static boolean endsSelectList(Token t) {
    return t.isPunctuation(')') || t.isPunctuation(';')
        || t.kind() == PgLexer.Kind.WORD && DistinctOn.AFTER_SELECT_LIST.contains(t.text().toLowerCase(Locale.ROOT));
  }

  /** {@code root} without its {@code $no_columns} result columns; {@code root} itself if it has none. */
  static RelRoot plan(RelRoot root) {
    List<Map.Entry<Integer, String>> kept = new ArrayList<>();
    List<RelDataTypeField> types = new ArrayList<>();
    for (int i = 0; i < root.fields.size(); i++) {
      if (!root.fields.get(i).getValue().startsWith(COLUMN)) { // also $no_columns0…: a * over two
        kept.add(root.fields.get(i));
        types.add(root.validatedRowType.getFieldList().get(i));
      }
    }
    if (kept.size() == root.fields.size()) {
      return root;
    }
    RelDataType rowType = root.rel.getCluster().getTypeFactory().createStructType(
        types.stream().map(RelDataTypeField::getType).toList(), types.stream().map(RelDataTypeField::getName).toList());
    return new RelRoot(root.rel, rowType, root.kind, kept, root.collation, root.hints);
  }
}
