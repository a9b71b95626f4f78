package io.deltaview.engine.apply;

import io.deltaview.engine.cdc.PgOutputMessage;
import io.deltaview.engine.cdc.PgOutputMessage.Relation;
import io.deltaview.engine.view.BaseTableDrift;
import io.deltaview.engine.view.TableShape;
import io.deltaview.engine.view.ViewFailure;
import java.sql.SQLException;
import java.util.List;

/**
 * Compares what a view was planned against (a base table's OID and columns, {@link TableShape}) with the table
 * as a Relation message of the stream describes it now: a change the view does not read passes, one it cannot
 * absorb is a {@link ViewFailure} saying what changed and what to do.
 */
final class SchemaCheck {

  /** The table's columns as the catalog has them now (null if it is gone); asked only when needed. */
  @FunctionalInterface
  interface CatalogColumns {
    List<TableShape.Column> get() throws SQLException;
  }

  private SchemaCheck() {
  }

  /**
   * Why a view planned against {@code planned} cannot be maintained from a table now shaped as {@code r}
   * (named {@code relationName}, OID {@code relationOid}), or null if it can: same table (OID), same name,
   * REPLICA IDENTITY FULL, and every column the view reads still there with its name and type. Which attribute
   * a column name now denotes is looked up in the catalog by the column's planned number, so a column dropped
   * and added back (or another one renamed to its name) is not taken for it.
   */
  static ViewFailure mismatch(TableShape planned, Relation r, String relationName, long relationOid,
      CatalogColumns catalogColumns) throws SQLException {
    String table = planned.qualifiedName();
    if (planned.oid() != 0 && planned.oid() != relationOid) {
      return BaseTableDrift.recreated(table);
    }
    if (!relationName.equals(table)) {
      return BaseTableDrift.renamed(table, relationName);
    }
    if (r.replicaIdentity() != 'f') {
      return BaseTableDrift.notFull(table, r.replicaIdentity());
    }
    boolean plannedColumnsKnown = !planned.columns().isEmpty();
    for (int i = 0; i < planned.columnNames().size(); i++) {
      if (!planned.reads(i)) {
        continue;
      }
      String name = planned.columnNames().get(i);
      PgOutputMessage.Column streamed = null;
      for (PgOutputMessage.Column c : r.columns()) {
        if (c.name().equals(name)) {
          streamed = c;
          break;
        }
      }
      if (!plannedColumnsKnown) {
        if (streamed == null) {
          return BaseTableDrift.columnGone(table, name, "is no longer in the replication stream (dropped or renamed)");
        }
        continue;
      }
      TableShape.Column was = planned.columns().get(i);
      List<TableShape.Column> catalog = catalogColumns.get();
      if (catalog == null) {
        return BaseTableDrift.dropped(table);
      }
      TableShape.Column now = null;
      for (TableShape.Column c : catalog) {
        if (c.attnum() == was.attnum()) {
          now = c;
        }
      }
      if (now == null || streamed == null || !now.name().equals(name)) {
        String what = now == null ? "was dropped" : !now.name().equals(name) ? "was renamed to " + now.name()
            : "was dropped or renamed";
        return BaseTableDrift.columnGone(table, name, what);
      }
      if (BaseTableDrift.retyped(was, streamed.typeOid(), streamed.typmod())
          || BaseTableDrift.retyped(was, now.typeOid(), now.typmod())) {
        String nowType = BaseTableDrift.retyped(was, now.typeOid(), now.typmod()) ? now.typeName()
            : "type " + streamed.typeOid() + "(" + streamed.typmod() + ")";
        return BaseTableDrift.retyped(table, was, nowType);
      }
    }
    return null;
  }
}
