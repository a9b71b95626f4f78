package io.deltaview.rewriter.schema;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * A PostgreSQL column type (base name plus typmod) and the Calcite type the rewriter models it with.
 *
 * <p>{@link #sqlName()} is PostgreSQL's own spelling ({@code format_type} style, e.g. {@code numeric(10,2)},
 * {@code character varying(20)}), usable verbatim in a {@code CAST}.
 */
public record PgType(String baseName, String sqlName, SqlTypeName calciteType, int precision, int scale) {

  /** Precision given to unconstrained {@code numeric}: the largest PostgreSQL accepts in a typmod. */
  public static final int UNCONSTRAINED_NUMERIC_PRECISION = 1000;
  /**
   * Scale given to unconstrained {@code numeric}. Calcite needs a fixed scale; half the precision keeps
   * both integer and fractional digits far beyond real data. The type only drives validation, values are
   * never computed in Calcite, so the choice cannot truncate anything the database returns.
   */
  public static final int UNCONSTRAINED_NUMERIC_SCALE = 500;

  /** Marker for "no precision/scale" (Calcite's convention). */
  public static final int UNSPECIFIED = -1;

  private static final Pattern WITH_MODIFIERS = Pattern.compile("^(.*?)\\s*\\(\\s*(\\d+)\\s*(?:,\\s*(\\d+)\\s*)?\\)(.*)$");

  public PgType {
    Objects.requireNonNull(baseName, "baseName");
    Objects.requireNonNull(sqlName, "sqlName");
    Objects.requireNonNull(calciteType, "calciteType");
  }

  /**
   * Parses a type as PostgreSQL prints it ({@code format_type}) or as a user writes it ({@code int4},
   * {@code varchar(20)}, {@code numeric(10,2)}). Unknown types map to {@link SqlTypeName#ANY}, which the
   * validator accepts only where no type-specific operation is needed; the rewriter never rewrites
   * expressions on such columns except for plain pass-through of the value.
   */
  public static PgType parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
    Integer p = null;
    Integer s = null;
    Matcher m = WITH_MODIFIERS.matcher(t);
    if (m.matches()) {
      p = Integer.valueOf(m.group(2));
      s = m.group(3) == null ? null : Integer.valueOf(m.group(3));
      t = (m.group(1) + m.group(4)).trim();
    }
    switch (t) {
      case "int2": case "smallint":
        return new PgType("int2", "smallint", SqlTypeName.SMALLINT, UNSPECIFIED, UNSPECIFIED);
      case "int4": case "int": case "integer":
        return new PgType("int4", "integer", SqlTypeName.INTEGER, UNSPECIFIED, UNSPECIFIED);
      case "int8": case "bigint":
        return new PgType("int8", "bigint", SqlTypeName.BIGINT, UNSPECIFIED, UNSPECIFIED);
      case "numeric": case "decimal":
        if (p == null) {
          return new PgType("numeric", "numeric", SqlTypeName.DECIMAL,
              UNCONSTRAINED_NUMERIC_PRECISION, UNCONSTRAINED_NUMERIC_SCALE);
        }
        int sc = s == null ? 0 : s;
        return new PgType("numeric", "numeric(" + p + "," + sc + ")", SqlTypeName.DECIMAL, p, sc);
      case "float4": case "real":
        return new PgType("float4", "real", SqlTypeName.REAL, UNSPECIFIED, UNSPECIFIED);
      case "float8": case "double precision": case "float":
        return new PgType("float8", "double precision", SqlTypeName.DOUBLE, UNSPECIFIED, UNSPECIFIED);
      case "text":
        return new PgType("text", "text", SqlTypeName.VARCHAR, UNSPECIFIED, UNSPECIFIED);
      case "varchar": case "character varying":
        return p == null
            ? new PgType("varchar", "character varying", SqlTypeName.VARCHAR, UNSPECIFIED, UNSPECIFIED)
            : new PgType("varchar", "character varying(" + p + ")", SqlTypeName.VARCHAR, p, UNSPECIFIED);
      case "bpchar": case "char": case "character":
        int len = p == null ? 1 : p;
        return new PgType("bpchar", "character(" + len + ")", SqlTypeName.CHAR, len, UNSPECIFIED);
      case "bool": case "boolean":
        return new PgType("bool", "boolean", SqlTypeName.BOOLEAN, UNSPECIFIED, UNSPECIFIED);
      case "date":
        return new PgType("date", "date", SqlTypeName.DATE, UNSPECIFIED, UNSPECIFIED);
      case "timestamp": case "timestamp without time zone":
        return new PgType("timestamp", p == null ? "timestamp without time zone"
            : "timestamp(" + p + ") without time zone", SqlTypeName.TIMESTAMP, UNSPECIFIED, UNSPECIFIED);
      case "timestamptz": case "timestamp with time zone":
        return new PgType("timestamptz", p == null ? "timestamp with time zone"
            : "timestamp(" + p + ") with time zone",
            SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE, UNSPECIFIED, UNSPECIFIED);
      case "time": case "time without time zone":
        return new PgType("time", p == null ? "time without time zone"
            : "time(" + p + ") without time zone", SqlTypeName.TIME, UNSPECIFIED, UNSPECIFIED);
      default:
        // uuid, jsonb, interval, arrays, enums...: equality-only from the rewriter's point of view.
        return new PgType(t, text.trim().toLowerCase(Locale.ROOT), SqlTypeName.ANY, UNSPECIFIED, UNSPECIFIED);
    }
  }

  /** True when rolling up partial sums of this type gives bit-identical results (exact arithmetic). */
  public boolean isExactNumeric() {
    return baseName.equals("int2") || baseName.equals("int4") || baseName.equals("int8")
        || baseName.equals("numeric");
  }
}
