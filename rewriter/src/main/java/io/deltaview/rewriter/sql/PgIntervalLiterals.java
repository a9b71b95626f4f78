package io.deltaview.rewriter.sql;

import io.deltaview.rewriter.sql.PgLexer.Kind;
import io.deltaview.rewriter.sql.PgLexer.Token;
import io.deltaview.sql.SqlStates;
import java.math.BigDecimal;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites PostgreSQL's interval literals that are window frame offsets ({@code RANGE BETWEEN INTERVAL '1 day'
 * PRECEDING …}, {@code interval '2 hours 30 minutes' FOLLOWING}, {@code INTERVAL '3 months' PRECEDING}) into the
 * SQL standard's form Calcite parses ({@code INTERVAL '1' DAY(9)}, {@code INTERVAL '2:30:00.000' HOUR(9) TO
 * SECOND(3)}, {@code INTERVAL '3' MONTH(9)}) before parsing, keeping PostgreSQL's fields apart as its interval
 * does: months, days, and a time part. A literal in the standard form (a unit after the string) is left as it
 * is. In view definitions every such literal is rewritten, also {@code '1 day'::interval} ({@code tz + interval
 * '1 day'}): the engine plans from the rewritten text, while PostgreSQL runs the definition as written. In
 * queries only frame offsets are: the leading precisions are Calcite's syntax, not PostgreSQL's, and queries the
 * rewriter renders back to PostgreSQL hold no window frames (a query with another such literal does not parse
 * and passes through).
 *
 * <p>Calcite's interval types hold either months or days and time: a literal with both (PostgreSQL's
 * {@code '1 month 2 days'}) is refused with {@code 0A000}; one that is not a list of numbers with units is left
 * for the parser to reject.
 */
final class PgIntervalLiterals {

  private PgIntervalLiterals() {
  }

  /** PostgreSQL's unit spellings: months per unit for year-month units, microseconds per unit for the others. */
  private static final Map<String, long[]> UNITS = Map.ofEntries(
      Map.entry("year", new long[] {12, 0}), Map.entry("years", new long[] {12, 0}),
      Map.entry("y", new long[] {12, 0}), Map.entry("yr", new long[] {12, 0}), Map.entry("yrs", new long[] {12, 0}),
      Map.entry("month", new long[] {1, 0}), Map.entry("months", new long[] {1, 0}),
      Map.entry("mon", new long[] {1, 0}), Map.entry("mons", new long[] {1, 0}),
      Map.entry("week", new long[] {0, 7 * 86_400_000_000L}), Map.entry("weeks", new long[] {0, 7 * 86_400_000_000L}),
      Map.entry("w", new long[] {0, 7 * 86_400_000_000L}),
      Map.entry("day", new long[] {0, 86_400_000_000L}), Map.entry("days", new long[] {0, 86_400_000_000L}),
      Map.entry("d", new long[] {0, 86_400_000_000L}),
      Map.entry("hour", new long[] {0, 3_600_000_000L}), Map.entry("hours", new long[] {0, 3_600_000_000L}),
      Map.entry("h", new long[] {0, 3_600_000_000L}), Map.entry("hr", new long[] {0, 3_600_000_000L}),
      Map.entry("hrs", new long[] {0, 3_600_000_000L}),
      Map.entry("minute", new long[] {0, 60_000_000L}), Map.entry("minutes", new long[] {0, 60_000_000L}),
      Map.entry("min", new long[] {0, 60_000_000L}), Map.entry("mins", new long[] {0, 60_000_000L}),
      Map.entry("m", new long[] {0, 60_000_000L}),
      Map.entry("second", new long[] {0, 1_000_000L}), Map.entry("seconds", new long[] {0, 1_000_000L}),
      Map.entry("sec", new long[] {0, 1_000_000L}), Map.entry("secs", new long[] {0, 1_000_000L}),
      Map.entry("s", new long[] {0, 1_000_000L}));

  private static final Pattern PART = Pattern.compile("\\s*([+-]?\\d+(?:\\.\\d+)?)\\s*([a-zA-Z]+)\\s*");

  /** The units of a literal already in the standard form: {@code INTERVAL '1' DAY}. */
  private static final java.util.Set<String> STANDARD_UNITS = java.util.Set.of("YEAR", "MONTH", "DAY", "HOUR",
      "MINUTE", "SECOND");

  /**
   * Rewrites the interval literals of {@code sql}: every one when {@code everywhere} (a view definition), else
   * frame offsets only.
   */
  static String rewrite(String sql, boolean everywhere) throws SQLException {
    if (!sql.toLowerCase(Locale.ROOT).contains("interval")) {
      return sql;
    }
    List<Token> tokens = PgLexer.tokens(sql);
    StringBuilder out = new StringBuilder(sql.length());
    int copied = 0;
    for (int i = 0; i + 1 < tokens.size(); i++) {
      Token t = tokens.get(i);
      Token next = tokens.get(i + 1);
      if (everywhere && t.kind() == Kind.STRING && i + 3 < tokens.size() && next.isPunctuation(':')
          && tokens.get(i + 2).isPunctuation(':') && tokens.get(i + 3).isWord("INTERVAL")
          && (i + 4 == tokens.size() || !tokens.get(i + 4).isPunctuation('('))) {
        String standard = standardForm(t.value()); // '1 day'::interval
        if (standard != null) {
          Token type = tokens.get(i + 3);
          out.append(sql, copied, t.start()).append('(').append(standard).append(')');
          copied = type.start() + type.text().length();
        }
        continue;
      }
      if (!t.isWord("INTERVAL") || next.kind() != Kind.STRING) {
        continue;
      }
      Token after = i + 2 < tokens.size() ? tokens.get(i + 2) : null;
      boolean frame = after != null && (after.isWord("PRECEDING") || after.isWord("FOLLOWING"));
      boolean standardAlready = after != null && after.kind() == Kind.WORD
          && STANDARD_UNITS.contains(after.text().toUpperCase(Locale.ROOT));
      if (!(frame || everywhere && !standardAlready)) {
        continue;
      }
      String standard = standardForm(next.value());
      if (standard == null) {
        continue;
      }
      out.append(sql, copied, t.start()).append(standard);
      copied = next.start() + next.text().length();
    }
    return copied == 0 ? sql : out.append(sql.substring(copied)).toString();
  }

  /**
   * {@code INTERVAL '…' <unit>} for PostgreSQL's interval text, or null if it is not numbers with units. Days
   * and time stay apart as PostgreSQL keeps them ({@code '1 day 2 hours'} is a day and two hours, not 26 hours,
   * which differ across a daylight-saving change); a fraction of a day becomes time, as in PostgreSQL.
   */
  private static String standardForm(String text) throws SQLException {
    Matcher m = PART.matcher(text);
    int at = 0;
    long months = 0;
    BigDecimal days = BigDecimal.ZERO;
    BigDecimal micros = BigDecimal.ZERO;
    boolean any = false;
    boolean dayTime = false;
    while (at < text.length()) {
      if (!m.find(at) || m.start() != at) {
        return null;
      }
      long[] unit = UNITS.get(m.group(2).toLowerCase(Locale.ROOT));
      if (unit == null) {
        return null;
      }
      BigDecimal n = new BigDecimal(m.group(1));
      if (unit[0] != 0) {
        if (n.stripTrailingZeros().scale() > 0) {
          return null; // PostgreSQL spreads a fraction of a month over days: not representable here
        }
        months += n.longValueExact() * unit[0];
      } else if (unit[1] >= DAY_MICROS) {
        days = days.add(n.multiply(BigDecimal.valueOf(unit[1] / DAY_MICROS)));
        dayTime = true;
      } else {
        micros = micros.add(n.multiply(BigDecimal.valueOf(unit[1])));
        dayTime = true;
      }
      any = true;
      at = m.end();
    }
    if (!any) {
      return null;
    }
    if (months != 0 && dayTime) {
      throw new SQLException("Deltaview cannot maintain this view yet: an interval literal with both months and"
          + " days or time ('" + text + "') has no Calcite type", SqlStates.FEATURE_NOT_SUPPORTED);
    }
    if (!dayTime) {
      return "INTERVAL '" + months + "' MONTH(9)";
    }
    BigDecimal wholeDays = days.setScale(0, java.math.RoundingMode.DOWN);
    micros = micros.add(days.subtract(wholeDays).multiply(BigDecimal.valueOf(DAY_MICROS)));
    if (micros.stripTrailingZeros().scale() > 0 || micros.remainder(BigDecimal.valueOf(1000)).signum() != 0) {
      throw new SQLException("Deltaview cannot maintain this view yet: an interval literal finer than a millisecond"
          + " ('" + text + "')", SqlStates.FEATURE_NOT_SUPPORTED);
    }
    long d = wholeDays.longValueExact();
    long time = micros.longValueExact();
    if (d != 0 && time != 0 && (Long.signum(d) != Long.signum(time) || Math.abs(time) >= DAY_MICROS)) {
      // Calcite's DAY TO SECOND literal has one sign and less than a day of time
      throw new SQLException("Deltaview cannot maintain this view yet: an interval literal with days and a time"
          + " of another sign or of 24 hours or more ('" + text + "') has no Calcite value",
          SqlStates.FEATURE_NOT_SUPPORTED);
    }
    String sign = d < 0 || time < 0 ? "-" : "";
    long abs = Math.abs(time);
    String clock = String.format(Locale.ROOT, "%d:%02d:%02d.%03d", abs / 3_600_000_000L, abs / 60_000_000L % 60,
        abs / 1_000_000L % 60, abs / 1000 % 1000);
    if (time == 0) {
      return "INTERVAL '" + sign + Math.abs(d) + "' DAY(9)";
    }
    if (d == 0) {
      return "INTERVAL '" + sign + clock + "' HOUR(9) TO SECOND(3)";
    }
    return "INTERVAL '" + sign + Math.abs(d) + " " + clock + "' DAY(9) TO SECOND(3)";
  }

  private static final long DAY_MICROS = 86_400_000_000L;
}
