package io.deltaview.engine.view;

import java.util.BitSet;
import java.util.List;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * A base table as the operators see it: its qualified name and its columns' names and Calcite types, in
 * the order of the table's row type. Rows of this table are fed to pipelines in exactly that order.
 *
 * <p>{@code read} are the columns a view's operators read. The others reach no operator (a projection right
 * above the scan drops them first), so the engine may leave them unparsed, as NULL: rows differing only there
 * are the same row to the view.
 *
 * <p>{@code oid} and {@code columns} say which table and which columns the view was planned against, as the
 * catalog had them then: the apply loop compares them with the stream's Relation messages to notice a table
 * dropped and re-created under the same name, and a column the view reads dropped, renamed or retyped.
 * {@code oid} is 0 and {@code columns} empty when unknown (tests); nothing is checked then.
 */
public record TableShape(String schema, String name, List<String> columnNames, List<SqlTypeName> columnTypes,
    BitSet read, long oid, List<Column> columns) {

  /**
   * One column of the table as planned: its number ({@code pg_attribute.attnum}, stable across renames),
   * type OID and modifier (as Relation messages carry them) and the type as {@code format_type} prints it.
   */
  public record Column(String name, int attnum, int typeOid, int typmod, String typeName) {
  }

  public TableShape {
    columnNames = List.copyOf(columnNames);
    columnTypes = List.copyOf(columnTypes);
    read = (BitSet) read.clone();
    columns = List.copyOf(columns);
    if (!columns.isEmpty() && columns.size() != columnNames.size()) {
      throw new IllegalArgumentException("planned columns " + columns + " do not match " + columnNames);
    }
  }

  /** A shape whose planned identity is unknown. */
  public TableShape(String schema, String name, List<String> columnNames, List<SqlTypeName> columnTypes,
      BitSet read) {
    this(schema, name, columnNames, columnTypes, read, 0, List.of());
  }

  /** A shape whose every column is read and whose planned identity is unknown. */
  public TableShape(String schema, String name, List<String> columnNames, List<SqlTypeName> columnTypes) {
    this(schema, name, columnNames, columnTypes, all(columnNames.size()));
  }

  private static BitSet all(int columns) {
    BitSet b = new BitSet(columns);
    b.set(0, columns);
    return b;
  }

  /** A copy; the record stays immutable. */
  @Override
  public BitSet read() {
    return (BitSet) read.clone();
  }

  /** Whether column {@code index} is read by the view (cheap: no copy). */
  public boolean reads(int index) {
    return read.get(index);
  }

  /**
   * This shape reading also the columns {@code other} reads (for the union over the views of one table that
   * were planned against the same columns, see {@link #layoutKey()}).
   */
  public TableShape readingAlso(TableShape other) {
    if (!columnNames.equals(other.columnNames) || !columnTypes.equals(other.columnTypes)) {
      throw new IllegalArgumentException("different columns: " + columnNames + columnTypes + " and "
          + other.columnNames + other.columnTypes);
    }
    BitSet union = (BitSet) read.clone();
    union.or(other.read);
    return new TableShape(schema, name, columnNames, columnTypes, union, oid != 0 ? oid : other.oid,
        columns.isEmpty() ? other.columns : columns);
  }

  /** {@code schema.name}, the key used for this table everywhere in the engine. */
  public String qualifiedName() {
    return schema + "." + name;
  }

  /**
   * The table and the columns (names and types) its rows are laid out in: views of one table planned at
   * different times (before and after an ADD or DROP COLUMN) see its rows in different layouts, and are fed
   * rows of their own.
   */
  public String layoutKey() {
    StringBuilder key = new StringBuilder(qualifiedName());
    for (int i = 0; i < columnNames.size(); i++) {
      key.append('\u0000').append(columnNames.get(i)).append(' ').append(columnTypes.get(i));
    }
    return key.toString();
  }
}
