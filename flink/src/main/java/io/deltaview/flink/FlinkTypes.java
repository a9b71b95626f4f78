package io.deltaview.flink;

import io.deltaview.rewriter.schema.PgType;

/**
 * The PostgreSQL column types a Flink-maintained view may read or write, and the Flink type each is carried as.
 * Only types whose values survive the trip unchanged (through Flink CDC, Flink's operators and the JDBC sink) are
 * mapped; everything else is refused by the caller naming the column.
 */
final class FlinkTypes {

  private FlinkTypes() {
  }

  /** A Flink type the translator computes with: its SQL spelling and, for DECIMAL, precision and scale. */
  record FlinkType(Kind kind, int precision, int scale) {

    enum Kind { SMALLINT, INT, BIGINT, DECIMAL, STRING, BOOLEAN, DATE }

    static final FlinkType SMALLINT = new FlinkType(Kind.SMALLINT, 0, 0);
    static final FlinkType INT = new FlinkType(Kind.INT, 0, 0);
    static final FlinkType BIGINT = new FlinkType(Kind.BIGINT, 0, 0);
    static final FlinkType STRING = new FlinkType(Kind.STRING, 0, 0);
    static final FlinkType BOOLEAN = new FlinkType(Kind.BOOLEAN, 0, 0);
    static final FlinkType DATE = new FlinkType(Kind.DATE, 0, 0);

    static FlinkType decimal(int precision, int scale) {
      return new FlinkType(Kind.DECIMAL, precision, scale);
    }

    boolean isInteger() {
      return kind == Kind.SMALLINT || kind == Kind.INT || kind == Kind.BIGINT;
    }

    boolean isNumeric() {
      return isInteger() || kind == Kind.DECIMAL;
    }

    /** Decimal digits left of the point this type can hold. */
    int integerDigits() {
      return switch (kind) {
        case SMALLINT -> 5;
        case INT -> 10;
        case BIGINT -> 19;
        case DECIMAL -> precision - scale;
        default -> throw new IllegalStateException(kind + " is not numeric");
      };
    }

    int fractionDigits() {
      return kind == Kind.DECIMAL ? scale : 0;
    }

    String sql() {
      return kind == Kind.DECIMAL ? "DECIMAL(" + precision + ", " + scale + ")" : kind.name();
    }
  }

  /** The largest DECIMAL precision Flink has. */
  static final int MAX_PRECISION = 38;

  /**
   * The Flink type a base-table column of PostgreSQL type {@code pgType} ({@code format_type}'s spelling) is read
   * as, or null when none carries its values exactly: floats (and so their sums depend on order), unconstrained
   * numeric (Flink's DECIMAL has one scale per column, PostgreSQL keeps each value's own), numeric wider than 38
   * digits, char(n) (blank-padded comparison), time zones and everything else not listed.
   */
  static FlinkType ofColumn(String pgType) {
    PgType t = PgType.parse(pgType);
    return switch (t.baseName()) {
      case "int2" -> FlinkType.SMALLINT;
      case "int4" -> FlinkType.INT;
      case "int8" -> FlinkType.BIGINT;
      case "numeric" -> t.precision() >= 1 && t.precision() <= MAX_PRECISION && t.scale() >= 0
          && !pgType.trim().equalsIgnoreCase("numeric") ? FlinkType.decimal(t.precision(), t.scale()) : null;
      case "text", "varchar" -> FlinkType.STRING;
      case "bool" -> FlinkType.BOOLEAN;
      case "date" -> FlinkType.DATE;
      default -> null;
    };
  }

  /**
   * Whether a result-table column of PostgreSQL type {@code pgType} holds what Flink computes as {@code computed}
   * unchanged: the same kind, a numeric column whose declared scale (if any) is the computed one.
   */
  static boolean holds(String pgType, FlinkType computed) {
    PgType t = PgType.parse(pgType);
    return switch (t.baseName()) {
      case "int2" -> computed.kind() == FlinkType.Kind.SMALLINT;
      case "int4" -> computed.kind() == FlinkType.Kind.INT;
      case "int8" -> computed.kind() == FlinkType.Kind.BIGINT;
      case "numeric" -> computed.kind() == FlinkType.Kind.DECIMAL
          && (pgType.trim().equalsIgnoreCase("numeric") || t.scale() == computed.scale());
      case "text", "varchar" -> computed.kind() == FlinkType.Kind.STRING;
      case "bool" -> computed.kind() == FlinkType.Kind.BOOLEAN;
      case "date" -> computed.kind() == FlinkType.Kind.DATE;
      default -> false;
    };
  }
}
