package io.deltaview.engine.row;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * Deltaview's canonical value representation, shared by the CDC decoder, the snapshot reader,
 * the operators and the result-table sink, so that a value read from pgoutput and the same value read
 * by a snapshot are {@code equals}.
 *
 * <ul>
 *   <li>BOOLEAN → {@link Boolean}</li>
 *   <li>TINYINT, SMALLINT, INTEGER, BIGINT → {@link Long}</li>
 *   <li>DECIMAL → {@link BigDecimal} (scale as PostgreSQL printed it)</li>
 *   <li>REAL, FLOAT, DOUBLE → {@link Double}</li>
 *   <li>CHAR, VARCHAR → {@link String}</li>
 *   <li>DATE → {@link LocalDate}; TIME → {@link LocalTime}; TIMESTAMP → {@link LocalDateTime};
 *       TIMESTAMP_WITH_LOCAL_TIME_ZONE (timestamptz) → {@link Instant}</li>
 *   <li>an array (only as an aggregate's result, {@code array_agg}) → {@link PgArray}</li>
 *   <li>anything else → PostgreSQL's text form as a {@link String}, usable only for equality and grouping</li>
 * </ul>
 * SQL NULL is Java {@code null}.
 */
public final class Values {

  private static final DateTimeFormatter PG_TIMESTAMP = new DateTimeFormatterBuilder()
      .appendPattern("yyyy-MM-dd HH:mm:ss")
      .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).optionalEnd()
      .toFormatter();

  private static final DateTimeFormatter PG_TIMESTAMPTZ = new DateTimeFormatterBuilder()
      .append(PG_TIMESTAMP)
      .appendPattern("[XXX][X]")
      .toFormatter();

  private Values() {
  }

  /** Whether values of {@code type} are whole numbers, held as {@link Long}. */
  public static boolean isIntegral(SqlTypeName type) {
    return type == SqlTypeName.TINYINT || type == SqlTypeName.SMALLINT || type == SqlTypeName.INTEGER
        || type == SqlTypeName.BIGINT;
  }

  /** Parses PostgreSQL's text output for a column of Calcite type {@code type}; {@code null} stays null. */
  public static Object parse(String text, SqlTypeName type) {
    if (text == null) {
      return null;
    }
    switch (type) {
      case BOOLEAN:
        return text.equals("t") || text.equalsIgnoreCase("true");
      case TINYINT:
      case SMALLINT:
      case INTEGER:
      case BIGINT:
        return Long.parseLong(text);
      case DECIMAL:
        return text.equals("NaN") ? text : new BigDecimal(text);
      case REAL:
      case FLOAT:
      case DOUBLE:
        return parseDouble(text);
      case DATE:
        return text.indexOf(' ') >= 0 || text.startsWith("-") || text.startsWith("infinity")
            ? text : LocalDate.parse(text);
      case TIME:
        return LocalTime.parse(text);
      case TIMESTAMP:
        return text.indexOf("infinity") >= 0 || text.endsWith("BC") ? text : LocalDateTime.parse(text, PG_TIMESTAMP);
      case TIMESTAMP_WITH_LOCAL_TIME_ZONE:
        return text.indexOf("infinity") >= 0 || text.endsWith("BC")
            ? text : OffsetDateTime.parse(text, PG_TIMESTAMPTZ).toInstant();
      default:
        return text;
    }
  }

  private static Double parseDouble(String text) {
    switch (text) {
      case "NaN":
        return Double.NaN;
      case "Infinity":
        return Double.POSITIVE_INFINITY;
      case "-Infinity":
        return Double.NEGATIVE_INFINITY;
      default:
        return Double.parseDouble(text);
    }
  }

  /**
   * Formats a canonical value as text that PostgreSQL's input function for the matching type accepts
   * unchanged (the sink sends it with an explicit cast to the result column's type).
   */
  public static String toPgText(Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof BigDecimal d) {
      return d.toPlainString();
    }
    if (value instanceof Double d) {
      if (d.isNaN()) {
        return "NaN";
      }
      if (d.isInfinite()) {
        return d > 0 ? "Infinity" : "-Infinity";
      }
      return d.toString();
    }
    if (value instanceof LocalDateTime t) {
      return PG_TIMESTAMP.format(t);
    }
    if (value instanceof Instant i) {
      return PG_TIMESTAMP.format(LocalDateTime.ofInstant(i, ZoneOffset.UTC)) + "+00";
    }
    if (value instanceof PgArray a) {
      return a.toPgText();
    }
    return value.toString();
  }
}
