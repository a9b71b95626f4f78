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
 * is, and so are literals elsewhere: their leading precisions are Calcite's syntax, not PostgreSQL's, and
 * queries the rewriter renders back to PostgreSQL hold no window frames.
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

  static String rewrite(String sql) throws SQLException {
    if (!sql.toLowerCase(Locale.ROOT).contains("interval")) {
      return sql;
    }
    List<Token> tokens = PgLexer.tokens(sql);
    StringBuilder out = new StringBuilder(sql.length());
    int copied = 0;
    for (int i = 0; i + 1 < tokens.size(); i++) {
      Token t = tokens.get(i);
      Token literal = tokens.get(i + 1);
      if (!t.isWord("INTERVAL") || literal.kind() != Kind.STRING) {
        continue;
      }
      Token after = i + 2 < tokens.size() ? tokens.get(i + 2) : null;
      if (after == null || !(after.isWord("PRECEDING") || after.isWord("FOLLOWING"))) {
        continue;
      }
      String standard = standardForm(literal.value());
      if (standard == null) {
        continue;
      }
      out.append(sql, copied, t.start()).append(standard);
      copied = literal.start() + literal.text().length();
    }
    return copied == 0 ? sql : out.append(sql.substring(copied)).toString();
  }

  /** {@code INTERVAL '…' <unit>} for PostgreSQL's interval text, or null if it is not numbers with units. */
  private static String standardForm(String text) throws SQLException {
    Matcher m = PART.matcher(text);
    int at = 0;
    long months = 0;
    BigDecimal micros = BigDecimal.ZERO;
    boolean any = false;
    boolean dayTime = false;
    boolean timeUnits = false;
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
      } else {
        micros = micros.add(n.multiply(BigDecimal.valueOf(unit[1])));
        dayTime = true;
        timeUnits |= unit[1] < 86_400_000_000L;
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
    if (micros.stripTrailingZeros().scale() > 0 || micros.remainder(BigDecimal.valueOf(1000)).signum() != 0) {
      throw new SQLException("Deltaview cannot maintain this view yet: an interval literal finer than a millisecond"
          + " ('" + text + "')", SqlStates.FEATURE_NOT_SUPPORTED);
    }
    long total = micros.longValueExact();
    String sign = total < 0 ? "-" : "";
    long abs = Math.abs(total);
    long days = abs / 86_400_000_000L;
    long rest = abs % 86_400_000_000L;
    if (!timeUnits) {
      return "INTERVAL '" + sign + days + "' DAY(9)";
    }
    String time = String.format(Locale.ROOT, "%d:%02d:%02d.%03d", (days * 86_400_000_000L + rest) / 3_600_000_000L,
        rest / 60_000_000L % 60, rest / 1_000_000L % 60, rest / 1000 % 1000);
    return "INTERVAL '" + sign + time + "' HOUR(9) TO SECOND(3)";
  }
}
