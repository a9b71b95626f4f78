package io.deltaview.engine.expr;

import io.deltaview.engine.compile.UnsupportedConstructException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.function.Function;

/**
 * PostgreSQL's {@code to_char(numeric|integer|double precision|real, text)} for formats made of {@code 9},
 * {@code 0}, {@code .}/{@code D}, {@code ,}/{@code G} and an {@code FM} prefix, reproducing PostgreSQL's
 * number processor (formatting.c) step by step: a sign slot before the first digit, blanks for unused
 * {@code 9}s, {@code #}s when the integer part does not fit, half-away-from-zero rounding for numeric and
 * the C library's rounding of the binary value (at most 15 significant digits) for doubles. {@code D} and
 * {@code G} are written {@code .} and {@code ,}, their values in the C and English locales. Other patterns
 * ({@code S}, {@code MI}, {@code PR}, {@code EEEE}, {@code V}, {@code RN}, {@code L}, text) are refused.
 */
final class ToCharNumber {

  private enum Token { NINE, ZERO, DECIMAL, COMMA }

  private final Token[] tokens;
  private final boolean fillMode;
  private final int pre;
  private final int post;
  private final boolean zero; // a 0 before the decimal point
  private final int zeroStart; // 0-based index of that 0 among the digit positions
  private final int zeroEnd; // digit positions up to and including the last 0
  private final boolean decimal;

  private ToCharNumber(String format) {
    String f = format;
    boolean fm = false;
    if (f.startsWith("FM") || f.startsWith("fm")) {
      fm = true;
      f = f.substring(2);
    }
    tokens = new Token[f.length()];
    int pre = 0;
    int post = 0;
    boolean zero = false;
    int zeroStart = 0;
    int zeroEnd = 0;
    boolean decimal = false;
    for (int i = 0; i < f.length(); i++) {
      char c = f.charAt(i);
      switch (c) {
        case '9':
          tokens[i] = Token.NINE;
          if (decimal) {
            post++;
          } else {
            pre++;
          }
          break;
        case '0':
          tokens[i] = Token.ZERO;
          if (!zero && !decimal) {
            zero = true;
            zeroStart = pre;
          }
          if (decimal) {
            post++;
          } else {
            pre++;
          }
          zeroEnd = pre + post;
          break;
        case '.':
        case 'D':
        case 'd':
          if (decimal) {
            throw refuse(format, "a second decimal point");
          }
          tokens[i] = Token.DECIMAL;
          decimal = true;
          break;
        case ',':
        case 'G':
        case 'g':
          tokens[i] = Token.COMMA;
          break;
        default:
          throw refuse(format, "'" + c + "'");
      }
    }
    this.fillMode = fm;
    this.pre = pre;
    this.post = post;
    this.zero = zero;
    this.zeroStart = zeroStart;
    this.zeroEnd = zeroEnd;
    this.decimal = decimal;
  }

  private static UnsupportedConstructException refuse(String format, String what) {
    return new UnsupportedConstructException("to_char number format '" + format + "' (" + what
        + " is not implemented)");
  }

  /** Compiles a constant number format. {@code digits} is 15 for double precision, 6 for real, 0 otherwise. */
  static Function<Object, String> compile(String format, int floatDigits) {
    ToCharNumber f = new ToCharNumber(format);
    return v -> f.format(v, floatDigits);
  }

  private String format(Object value, int floatDigits) {
    String orgnum;
    int postDigits = post;
    if (value instanceof Double d) {
      if (d.isNaN() || d.isInfinite()) {
        throw new UnsupportedConstructException("to_char of NaN or infinity");
      }
      String whole = new BigDecimal(Math.abs(d)).setScale(0, RoundingMode.HALF_EVEN).toPlainString();
      if (whole.length() >= floatDigits) {
        postDigits = 0;
      } else if (whole.length() + postDigits > floatDigits) {
        postDigits = floatDigits - whole.length();
      }
      orgnum = new BigDecimal(d).setScale(postDigits, RoundingMode.HALF_EVEN).toPlainString();
      if (d < 0 || d == 0 && 1 / d < 0) {
        orgnum = orgnum.startsWith("-") ? orgnum : "-" + orgnum;
      }
    } else {
      BigDecimal x = PgValues.toBigDecimal(value).setScale(post, RoundingMode.HALF_UP);
      orgnum = x.toPlainString();
    }
    char sign = '+';
    String numstr = orgnum;
    if (numstr.startsWith("-")) {
      sign = '-';
      numstr = numstr.substring(1);
    }
    int dot = numstr.indexOf('.');
    int numstrPreLen = dot < 0 ? numstr.length() : dot;
    int outPreSpaces = 0;
    if (numstrPreLen < pre) {
      outPreSpaces = pre - numstrPreLen;
    } else if (numstrPreLen > pre) {
      StringBuilder hashes = new StringBuilder("#".repeat(pre + postDigits + 1));
      hashes.setCharAt(pre, '.');
      numstr = hashes.toString();
    }
    return process(numstr, sign, outPreSpaces, postDigits);
  }

  /** PostgreSQL's NUM_processor for to_char, restricted to the tokens above. */
  private String process(String numstr, char sign, int outPreSpaces, int postDigits) {
    char[] number = (numstr + "\0").toCharArray();
    boolean signWrote = sign == '+' && fillMode;
    int lastRelevant = -1; // index into number, or -1
    if (fillMode && decimal) {
      int dot = numstr.indexOf('.');
      if (dot >= 0) {
        lastRelevant = dot;
        for (int i = dot + 1; i < numstr.length(); i++) {
          if (numstr.charAt(i) != '0') {
            lastRelevant = i;
          }
        }
      }
      if (lastRelevant >= 0 && zeroEnd > outPreSpaces) {
        int lastZero = Math.min(zeroEnd - outPreSpaces, numstr.length() - 1);
        if (lastRelevant < lastZero) {
          lastRelevant = lastZero;
        }
      }
    }
    StringBuilder out = new StringBuilder();
    int numberP = 0;
    int numCurr = 0;
    boolean numIn = false;
    for (Token t : tokens) {
      if (t == Token.COMMA) {
        if (!numIn) {
          if (!fillMode) {
            out.append(' ');
          }
        } else {
          out.append(',');
        }
        continue;
      }
      numIn = false;
      boolean predecSpace = !zero && numberP == 0 && number[0] == '0' && postDigits != 0;
      if (!signWrote && (numCurr >= outPreSpaces || zero && zeroStart == numCurr)
          && (!predecSpace || lastRelevant >= 0 && number[lastRelevant] == '.')) {
        if (sign == '+') {
          if (!fillMode) {
            out.append(' ');
          }
        } else {
          out.append('-');
        }
        signWrote = true;
      }
      if (numCurr < outPreSpaces && (zeroStart > numCurr || !zero)) {
        if (!fillMode) {
          out.append(' ');
        }
      } else if (zero && numCurr < outPreSpaces && zeroStart <= numCurr) {
        out.append('0');
        numIn = true;
      } else {
        if (number[numberP] == '.') {
          if (lastRelevant < 0 || number[lastRelevant] != '.' || fillMode) {
            out.append('.');
          }
        } else if (lastRelevant >= 0 && numberP > lastRelevant && t != Token.ZERO) {
          // a trailing zero FM leaves out
        } else if (predecSpace) {
          if (!fillMode) {
            out.append(' ');
          } else if (lastRelevant >= 0 && number[lastRelevant] == '.') {
            out.append('0');
          }
        } else {
          out.append(number[numberP]);
          numIn = true;
        }
        if (number[numberP] != '\0') {
          numberP++;
        }
      }
      numCurr++;
    }
    String s = out.toString();
    int nul = s.indexOf('\0');
    return nul < 0 ? s : s.substring(0, nul); // PostgreSQL writes past the number's end as a terminator
  }
}
