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
 */
public record TableShape(String schema, String name, List<String> columnNames, List<SqlTypeName> columnTypes,
    BitSet read) {

  public TableShape {
    columnNames = List.copyOf(columnNames);
    columnTypes = List.copyOf(columnTypes);
    read = (BitSet) read.clone();
  }

  /** A shape whose every column is read. */
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

  /** This shape reading also the columns {@code other} reads (for the union over the views of one table). */
  public TableShape readingAlso(TableShape other) {
    BitSet union = (BitSet) read.clone();
    union.or(other.read);
    return new TableShape(schema, name, columnNames, columnTypes, union);
  }

  /** {@code schema.name}, the key used for this table everywhere in the engine. */
  public String qualifiedName() {
    return schema + "." + name;
  }
}
