package io.deltaview.rewriter.sql;

import org.apache.calcite.sql.validate.SqlConformanceEnum;
import org.apache.calcite.sql.validate.SqlDelegatingConformance;

/**
 * Babel conformance narrowed to PostgreSQL's rules: no lateral select-alias lookup, no MySQL-style
 * non-aggregated columns in GROUP BY queries, no aliases in HAVING; GROUP BY alias and ordinal allowed.
 */
final class PgConformance extends SqlDelegatingConformance {
  static final PgConformance INSTANCE = new PgConformance();

  private PgConformance() {
    super(SqlConformanceEnum.BABEL);
  }

  @Override
  public SelectAliasLookup isSelectAlias() {
    return SelectAliasLookup.UNSUPPORTED;
  }

  @Override
  public boolean isNonStrictGroupBy() {
    return false;
  }

  @Override
  public boolean isHavingAlias() {
    return false;
  }

  @Override
  public boolean isGroupByAlias() {
    return true;
  }

  @Override
  public boolean isGroupByOrdinal() {
    return true;
  }
}
