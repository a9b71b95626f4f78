package io.deltaview.engine.expr;

import io.deltaview.engine.compile.UnsupportedConstructException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.time.temporal.IsoFields;
import java.time.temporal.JulianFields;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * PostgreSQL's {@code to_char(timestamp, text)} (a date is formatted as its midnight) with a constant
 * format, compiled once into a list of field writers. Supported: YYYY YYY YY Y Y,YYY IYYY IYY IY I, MM,
 * Month/MONTH/month, Mon/MON/mon, DD DDD D ID IDDD, Day/DAY/day, Dy/DY/dy, W WW IW Q CC J, HH HH12 HH24 MI SS
 * MS US SSSS SSSSS, AM/PM/A.M./P.M. (either case), the FM prefix and TH/th suffix, double-quoted text; other
 * characters are copied. Patterns this class does not implement (TM, TZ, OF, RM, AD/BC, …) are refused
 * when the view is created rather than guessed. Names are PostgreSQL's English ones, which do not follow
 * {@code lc_time} without the TM prefix. Numbers: see {@link ToCharNumber}.
 */
final class ToChar {

  private ToChar() {
  }

  /** One piece of output for a timestamp. */
  private interface Part extends Function<LocalDateTime, String> {
  }

  /** Keywords in PostgreSQL's matching order: at each position the first that matches is taken. */
  private static final String[] KEYWORDS = {
      "A.M.", "AM", "P.M.", "PM", "a.m.", "am", "p.m.", "pm",
      "CC", "cc",
      "DAY", "DDD", "DD", "DY", "Day", "Dy", "D", "day", "ddd", "dd", "dy", "d",
      "FX", "fx",
      "HH24", "HH12", "HH", "hh24", "hh12", "hh",
      "IDDD", "ID", "IW", "IYYY", "IYY", "IY", "I", "iddd", "id", "iw", "iyyy", "iyy", "iy", "i",
      "J", "j",
      "MI", "MM", "MONTH", "MON", "MS", "Month", "Mon", "mi", "mm", "month", "mon", "ms",
      "Q", "q",
      "SSSSS", "SSSS", "SS", "sssss", "ssss", "ss",
      "US", "us",
      "WW", "W", "ww", "w",
      "Y,YYY", "YYYY", "YYY", "YY", "Y", "y,yyy", "yyyy", "yyy", "yy", "y",
  };

  /** Keywords PostgreSQL knows that are refused here (matched first so they are never read as literals). */
  private static final String[] REFUSED = {
      "A.D.", "AD", "B.C.", "BC", "a.d.", "ad", "b.c.", "bc", "OF", "of", "RM", "rm", "TZH", "TZM", "TZ",
      "tzh", "tzm", "tz",
  };

  /** Compiles a date/time format; refuses with {@link UnsupportedConstructException} what is not implemented. */
  static Function<LocalDateTime, String> compileDateTime(String format) {
    List<Part> parts = new ArrayList<>();
    int i = 0;
    while (i < format.length()) {
      char c = format.charAt(i);
      if (c == '"') {
        StringBuilder lit = new StringBuilder();
        i++;
        while (i < format.length() && format.charAt(i) != '"') {
          if (format.charAt(i) == '\\' && i + 1 < format.length()) {
            i++;
          }
          lit.append(format.charAt(i++));
        }
        i++;
        String text = lit.toString();
        parts.add(t -> text);
        continue;
      }
      if (c == '\\' && i + 1 < format.length() && format.charAt(i + 1) == '"') {
        parts.add(t -> "\"");
        i += 2;
        continue;
      }
      boolean fm = false;
      if (format.startsWith("FM", i) || format.startsWith("fm", i)) {
        fm = true;
        i += 2;
      } else if (format.startsWith("TM", i) || format.startsWith("tm", i)) {
        throw refuse(format, "the TM prefix (names in lc_time's language)");
      }
      for (String r : REFUSED) {
        if (format.startsWith(r, i)) {
          throw refuse(format, r);
        }
      }
      String keyword = null;
      for (String k : KEYWORDS) {
        if (format.startsWith(k, i)) {
          keyword = k;
          break;
        }
      }
      if (keyword == null) {
        if (fm) {
          continue; // FM before a non-keyword does nothing
        }
        String ch = String.valueOf(c);
        parts.add(t -> ch);
        i++;
        continue;
      }
      i += keyword.length();
      int suffix = 0; // 1: TH, 2: th
      if (format.startsWith("TH", i)) {
        suffix = 1;
        i += 2;
      } else if (format.startsWith("th", i)) {
        suffix = 2;
        i += 2;
      }
      Part p = field(format, keyword, fm);
      if (suffix != 0) {
        boolean upper = suffix == 1;
        Part base = p;
        p = t -> {
          String s = base.apply(t);
          return s + ordinalSuffix(s, upper);
        };
      }
      parts.add(p);
    }
    return t -> {
      StringBuilder sb = new StringBuilder();
      for (Part p : parts) {
        sb.append(p.apply(t));
      }
      return sb.toString();
    };
  }

  private static UnsupportedConstructException refuse(String format, String what) {
    return new UnsupportedConstructException("to_char format '" + format + "' (" + what + " is not implemented)");
  }

  /** PostgreSQL's year as printed: BC years are positive (1 BC is proleptic year 0). */
  private static int year(LocalDate d) {
    int y = d.getYear();
    return y > 0 ? y : 1 - y;
  }

  private static String padded(long v, int width, boolean fm) {
    if (fm || width == 0) {
      return Long.toString(v);
    }
    String s = Long.toString(Math.abs(v));
    StringBuilder sb = new StringBuilder();
    if (v < 0) {
      sb.append('-');
    }
    for (int n = s.length() + (v < 0 ? 1 : 0); n < width; n++) {
      sb.append('0');
    }
    return sb.append(s).toString();
  }

  private static String name(String full, String keyword, boolean fm, boolean abbreviated) {
    String n = abbreviated ? full.substring(0, 3) : full;
    if (keyword.equals(keyword.toUpperCase(Locale.ROOT)) && keyword.length() > 1
        && Character.isUpperCase(keyword.charAt(1))) {
      n = n.toUpperCase(Locale.ROOT);
    } else if (Character.isLowerCase(keyword.charAt(0))) {
      n = n.toLowerCase(Locale.ROOT);
    }
    if (!abbreviated && !fm) {
      n = String.format("%-9s", n);
    }
    return n;
  }

  private static Part field(String format, String keyword, boolean fm) {
    String k = keyword.toUpperCase(Locale.ROOT);
    switch (k) {
      case "AM":
      case "PM":
        return t -> Character.isUpperCase(keyword.charAt(0)) ? (t.getHour() >= 12 ? "PM" : "AM")
            : (t.getHour() >= 12 ? "pm" : "am");
      case "A.M.":
      case "P.M.":
        return t -> Character.isUpperCase(keyword.charAt(0)) ? (t.getHour() >= 12 ? "P.M." : "A.M.")
            : (t.getHour() >= 12 ? "p.m." : "a.m.");
      case "CC":
        return t -> {
          int y = t.getYear();
          long cc = y > 0 ? (y - 1) / 100 + 1 : y / 100 - 1;
          return cc <= 99 && cc >= -99 ? padded(cc, fm ? 0 : cc >= 0 ? 2 : 3, fm) : Long.toString(cc);
        };
      case "DAY":
        return t -> name(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH), keyword, fm, false);
      case "DY":
        return t -> name(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH), keyword, fm, true);
      case "DDD":
        return t -> padded(t.getDayOfYear(), 3, fm);
      case "DD":
        return t -> padded(t.getDayOfMonth(), 2, fm);
      case "D":
        return t -> Integer.toString(t.getDayOfWeek().getValue() % 7 + 1);
      case "FX":
        return t -> "";
      case "HH24":
        return t -> padded(t.getHour(), 2, fm);
      case "HH12":
      case "HH":
        return t -> padded(t.getHour() % 12 == 0 ? 12 : t.getHour() % 12, 2, fm);
      case "IDDD":
        return t -> padded((t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR) - 1) * 7L + t.getDayOfWeek().getValue(), 3, fm);
      case "ID":
        return t -> Integer.toString(t.getDayOfWeek().getValue());
      case "IW":
        return t -> padded(t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR), 2, fm);
      case "IYYY":
      case "IYY":
      case "IY":
      case "I":
        return t -> years(t.get(IsoFields.WEEK_BASED_YEAR), k.length(), fm);
      case "J":
        return t -> Long.toString(t.toLocalDate().getLong(JulianFields.JULIAN_DAY));
      case "MI":
        return t -> padded(t.getMinute(), 2, fm);
      case "MM":
        return t -> padded(t.getMonthValue(), 2, fm);
      case "MONTH":
        return t -> name(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH), keyword, fm, false);
      case "MON":
        return t -> name(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH), keyword, fm, true);
      case "MS":
        return t -> padded(t.getNano() / 1_000_000, 3, fm);
      case "Q":
        return t -> Integer.toString((t.getMonthValue() - 1) / 3 + 1);
      case "SSSSS":
      case "SSSS":
        return t -> Integer.toString(t.toLocalTime().toSecondOfDay());
      case "SS":
        return t -> padded(t.getSecond(), 2, fm);
      case "US":
        return t -> padded(t.getNano() / 1000, 6, fm);
      case "WW":
        return t -> padded((t.getDayOfYear() - 1) / 7 + 1, 2, fm);
      case "W":
        return t -> Integer.toString((t.getDayOfMonth() - 1) / 7 + 1);
      case "Y,YYY":
        return t -> {
          int y = year(t.toLocalDate());
          return y / 1000 + "," + padded(y % 1000, 3, false);
        };
      case "YYYY":
      case "YYY":
      case "YY":
      case "Y":
        return t -> years(t.getYear(), k.length(), fm);
      default:
        throw refuse(format, keyword);
    }
  }

  /** YYYY (all digits, at least 4), YYY/YY/Y (the last 3/2/1 digits), zero-padded unless FM. */
  private static String years(int prolepticYear, int digits, boolean fm) {
    int y = prolepticYear > 0 ? prolepticYear : 1 - prolepticYear;
    if (digits >= 4) {
      return padded(y, fm ? 0 : 4, fm);
    }
    int mod = digits == 3 ? 1000 : digits == 2 ? 100 : 10;
    return padded(y % mod, fm ? 0 : digits, fm);
  }

  /** PostgreSQL's ordinal suffix of a printed number: st, nd, rd, th (11-13 are th). */
  private static String ordinalSuffix(String number, boolean upper) {
    int len = number.length();
    char last = len > 0 ? number.charAt(len - 1) : '0';
    boolean teen = len > 1 && number.charAt(len - 2) == '1';
    String s;
    if (!Character.isDigit(last)) {
      s = "";
    } else if (teen) {
      s = "th";
    } else if (last == '1') {
      s = "st";
    } else if (last == '2') {
      s = "nd";
    } else if (last == '3') {
      s = "rd";
    } else {
      s = "th";
    }
    return upper ? s.toUpperCase(Locale.ROOT) : s;
  }
}
