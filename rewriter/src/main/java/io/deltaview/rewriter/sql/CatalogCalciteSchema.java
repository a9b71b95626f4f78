package io.deltaview.rewriter.sql;

import io.deltaview.rewriter.schema.CatalogSchema;
import io.deltaview.rewriter.schema.ColumnInfo;
import io.deltaview.rewriter.schema.PgType;
import io.deltaview.rewriter.schema.TableInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.calcite.jdbc.CalciteSchema;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.schema.Statistic;
import org.apache.calcite.schema.Statistics;
import org.apache.calcite.schema.Table;
import org.apache.calcite.schema.impl.AbstractSchema;
import org.apache.calcite.schema.impl.AbstractTable;
import org.apache.calcite.sql.type.SqlTypeName;
import org.apache.calcite.util.ImmutableBitSet;

/** Adapts a {@link CatalogSchema} to a Calcite root schema with one sub-schema per PostgreSQL schema. */
final class CatalogCalciteSchema {
  private CatalogCalciteSchema() {}

  static CalciteSchema rootOf(CatalogSchema catalog) {
    CalciteSchema root = CalciteSchema.createRootSchema(false, false);
    catalog.schemas().forEach((schemaName, tables) -> {
      Map<String, Table> calciteTables = new LinkedHashMap<>();
      tables.forEach((name, info) -> calciteTables.put(name, new CatalogTable(info)));
      root.add(schemaName, new AbstractSchema() {
        @Override
        protected Map<String, Table> getTableMap() {
          return calciteTables;
        }
      });
    });
    return root;
  }

  /** Calcite type of a column, following {@link PgType}'s mapping. */
  static RelDataType typeOf(RelDataTypeFactory f, PgType t, boolean nullable) {
    RelDataType base;
    if (t.calciteType() == SqlTypeName.DECIMAL) {
      base = f.createSqlType(SqlTypeName.DECIMAL, t.precision(), t.scale());
    } else if ((t.calciteType() == SqlTypeName.VARCHAR || t.calciteType() == SqlTypeName.CHAR)
        && t.precision() != PgType.UNSPECIFIED) {
      base = f.createSqlType(t.calciteType(), t.precision());
    } else {
      base = f.createSqlType(t.calciteType());
    }
    return f.createTypeWithNullability(base, nullable);
  }

  /** A table whose row type comes from the catalog snapshot; it is never scanned by Calcite. */
  static final class CatalogTable extends AbstractTable {
    private final TableInfo info;

    CatalogTable(TableInfo info) {
      this.info = info;
    }

    TableInfo info() {
      return info;
    }

    @Override
    public RelDataType getRowType(RelDataTypeFactory typeFactory) {
      RelDataTypeFactory.Builder b = typeFactory.builder();
      for (ColumnInfo c : info.columns()) {
        b.add(c.name(), typeOf(typeFactory, c.type(), c.nullable()));
      }
      return b.build();
    }

    /**
     * The primary key as Calcite's unique key (row count unknown), so that metadata can tell, e.g., that an
     * ORDER BY ending in the key orders every row deterministically.
     */
    @Override
    public Statistic getStatistic() {
      if (info.primaryKey().isEmpty()) {
        return Statistics.UNKNOWN;
      }
      List<String> names = info.columns().stream().map(ColumnInfo::name).toList();
      List<Integer> key = new ArrayList<>();
      for (String column : info.primaryKey()) {
        int index = names.indexOf(column);
        if (index < 0) {
          return Statistics.UNKNOWN;
        }
        key.add(index);
      }
      return Statistics.of(null, List.of(ImmutableBitSet.of(key)), null, null);
    }
  }
}
