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
 *
 * <p>{@code descendants} are the table's partitions (at every level) or inheritance children as the catalog had
 * them when the view was planned: a query over the table reads their rows too, and the stream reports their
 * changes under their own names, so the apply loop feeds a descendant's changes to the views of this table,
 * and a view whose table has other descendants now fails ({@link BaseTableDrift}). Empty for a table without
 * any.
 */
public record TableShape(String schema, String name, List<String> columnNames, List<SqlTypeName> columnTypes,
    BitSet read, long oid, List<Column> columns, List<Descendant> descendants) {

  /**
   * One column of the table as planned: its number ({@code pg_attribute.attnum}, stable across renames),
   * type OID and modifier (as Relation messages carry them) and the type as {@code format_type} prints it.
   */
  public record Column(String name, int attnum, int typeOid, int typmod, String typeName) {
  }

  /**
   * A partition or inheritance child of a base table (at any depth): its OID, name and {@code relkind}
   * ({@code 'r'} holds rows, {@code 'p'} is partitioned further).
   */
  public record Descendant(long oid, String schema, String name, char kind) {

    /** {@code schema.name}. */
    public String qualifiedName() {
      return schema + "." + name;
    }

    /** Whether it holds rows itself, so that the stream carries changes under its name. */
    public boolean holdsRows() {
      return kind == 'r';
    }
  }

  public TableShape {
    descendants = List.copyOf(descendants);
    columnNames = List.copyOf(columnNames);
    columnTypes = List.copyOf(columnTypes);
    read = (BitSet) read.clone();
    columns = List.copyOf(columns);
    if (!columns.isEmpty() && columns.size() != columnNames.size()) {
      throw new IllegalArgumentException("planned columns " + columns + " do not match " + columnNames);
    }
  }

  /** A shape of a table without descendants. */
  public TableShape(String schema, String name, List<String> columnNames, List<SqlTypeName> columnTypes,
      BitSet read, long oid, List<Column> columns) {
    this(schema, name, columnNames, columnTypes, read, oid, columns, List.of());
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
        columns.isEmpty() ? other.columns : columns, union(descendants, other.descendants));
  }

  private static List<Descendant> union(List<Descendant> a, List<Descendant> b) {
    if (b.isEmpty() || a.equals(b)) {
      return a;
    }
    java.util.LinkedHashSet<Descendant> all = new java.util.LinkedHashSet<>(a);
    all.addAll(b);
    return List.copyOf(all);
  }

  /** This shape with {@code now} as its descendants (the same table and columns). */
  public TableShape withDescendants(List<Descendant> now) {
    return now.equals(descendants) ? this
        : new TableShape(schema, name, columnNames, columnTypes, read, oid, columns, now);
  }

  /** Whether relation {@code relationOid} is one of this table's planned descendants. */
  public boolean hasDescendant(long relationOid) {
    for (Descendant d : descendants) {
      if (d.oid() == relationOid) {
        return true;
      }
    }
    return false;
  }

  /** {@code schema.name}, the key used for this table everywhere in the engine. */
  public String qualifiedName() {
    return schema + "." + name;
  }

  /**
   * The table and the columns (names and types) its rows are laid out in, and the descendants whose rows count
   * as its rows: views of one table planned at different times (before and after an ADD or DROP COLUMN, or an
   * ATTACH or DETACH PARTITION) see its rows in different layouts, and are fed rows of their own; a view is
   * never fed the changes of a partition it was not loaded over.
   */
  public String layoutKey() {
    StringBuilder key = new StringBuilder(qualifiedName());
    for (int i = 0; i < columnNames.size(); i++) {
      key.append('\u0000').append(columnNames.get(i)).append(' ').append(columnTypes.get(i));
    }
    for (Descendant d : descendants) {
      key.append('\u0001').append(d.oid());
    }
    return key.toString();
  }
}
