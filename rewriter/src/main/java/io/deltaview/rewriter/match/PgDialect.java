package io.deltaview.rewriter.match;

import org.apache.calcite.sql.SqlDynamicParam;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlWriter;
import org.apache.calcite.sql.dialect.PostgresqlSqlDialect;
import org.apache.calcite.sql.util.SqlString;

/**
 * Calcite's PostgreSQL dialect, writing {@code LIMIT n OFFSET m} instead of {@code OFFSET m ROWS FETCH NEXT
 * n ROWS ONLY}: the usual pagination {@code LIMIT ? OFFSET ?} then keeps its parameters in order (and the other
 * order keeps them with the other form, see {@link #unparseOffsetFetch}).
 */
public final class PgDialect extends PostgresqlSqlDialect {
  static final PgDialect INSTANCE = new PgDialect();

  private PgDialect() {
    super(PostgresqlSqlDialect.DEFAULT_CONTEXT);
  }

  /**
   * Writes {@code node} as PostgreSQL on one line with every identifier quoted, the one way the rewriter
   * turns a parse tree into SQL that is sent or stored.
   */
  public static SqlString toSql(SqlNode node) {
    return node.toSqlString(c -> c.withDialect(INSTANCE)
        .withClauseStartsLine(false)
        .withClauseEndsLine(false)
        .withSelectListItemsOnSeparateLines(false)
        .withIndentation(0)
        .withQuoteAllIdentifiers(true));
  }

  /**
   * A text literal as PostgreSQL reads it whatever {@code standard_conforming_strings} says: no charset
   * introducer (PostgreSQL has none; Calcite's text is UTF-16), characters as they are, and {@code E'…'} with
   * doubled backslashes when it holds a backslash.
   */
  @Override
  public void quoteStringLiteral(StringBuilder buf, String charsetName, String val) {
    String quoted = val.replace("'", "''");
    if (val.indexOf('\\') >= 0) {
      buf.append("E'").append(quoted.replace("\\", "\\\\")).append('\'');
    } else {
      buf.append('\'').append(quoted).append('\'');
    }
  }

  /**
   * {@code LIMIT n OFFSET m}, unless both are parameters and the offset's comes first (Hibernate's {@code offset ?
   * rows fetch first ? rows only}, {@code OFFSET ? LIMIT ?}): then {@code OFFSET ? ROWS FETCH NEXT ? ROWS ONLY},
   * which PostgreSQL reads too, so that the parameters stay in their order.
   */
  @Override
  public void unparseOffsetFetch(SqlWriter writer, SqlNode offset, SqlNode fetch) {
    if (offset instanceof SqlDynamicParam o && fetch instanceof SqlDynamicParam f && o.getIndex() < f.getIndex()) {
      unparseFetchUsingAnsi(writer, offset, fetch);
    } else {
      unparseFetchUsingLimit(writer, offset, fetch);
    }
  }
}
