package io.deltaview.rewriter.match;

import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlWriter;
import org.apache.calcite.sql.dialect.PostgresqlSqlDialect;

/**
 * Calcite's PostgreSQL dialect, writing {@code LIMIT n OFFSET m} instead of {@code OFFSET m ROWS FETCH NEXT
 * n ROWS ONLY}: the usual pagination {@code LIMIT ? OFFSET ?} then keeps its parameters in order.
 */
final class PgDialect extends PostgresqlSqlDialect {
  static final PgDialect INSTANCE = new PgDialect();

  private PgDialect() {
    super(PostgresqlSqlDialect.DEFAULT_CONTEXT);
  }

  @Override
  public void unparseOffsetFetch(SqlWriter writer, SqlNode offset, SqlNode fetch) {
    unparseFetchUsingLimit(writer, offset, fetch);
  }
}
