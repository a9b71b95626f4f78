package io.deltaview.engine.expr;

import static io.deltaview.engine.expr.ScalarCompiler.literalValue;
import static io.deltaview.engine.expr.ScalarCompiler.strict1;
import static io.deltaview.engine.expr.ScalarCompiler.strict2;

import io.deltaview.engine.compile.UnsupportedConstructException;
import java.util.List;
import java.util.Locale;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.type.SqlTypeFamily;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * Compiles calls of PostgreSQL's functions that Calcite resolves from its PostgreSQL library or from the front
 * end's own declarations: text ({@code left}, {@code split_part}, {@code concat_ws}, …), numeric ({@code sign},
 * {@code trunc}, {@code power}, {@code sqrt}, {@code greatest}/{@code least}), date ({@code make_date},
 * {@code age}, {@code to_char}) and regular expressions. Each family's semantics live in its own class; this
 * one checks what can be evaluated exactly and wires arguments to them.
 */
final class PgFunctionCalls {

  private final ScalarCompiler compiler;

  PgFunctionCalls(ScalarCompiler compiler) {
    this.compiler = compiler;
  }

  /** The compiled call, or null when {@code name} (upper case) is not one of these functions. */
  Scalar compile(RexCall call, String name) {
    switch (name) {
      case "CONCAT": {
        // PostgreSQL's concat(): NULL arguments are ignored
        refuseBooleanText(call);
        Scalar[] o = compiler.operands(call);
        return row -> {
          StringBuilder sb = new StringBuilder();
          for (Scalar s : o) {
            Object v = s.eval(row);
            if (v != null) {
              sb.append(outputText(v));
            }
          }
          return sb.toString();
        };
      }
      case "CONCAT_WS": {
        refuseBooleanText(call);
        Scalar[] o = compiler.operands(call);
        return row -> {
          Object sep = o[0].eval(row);
          if (sep == null) {
            return null;
          }
          Object[] values = new Object[o.length - 1];
          for (int i = 1; i < o.length; i++) {
            Object v = o[i].eval(row);
            values[i - 1] = v == null ? null : outputText(v);
          }
          return TextFunctions.concatWs((String) sep, values);
        };
      }
      case "LEFT": {
        Scalar[] o = compiler.operands(call);
        return strict2(o[0], o[1], (x, n) -> TextFunctions.left((String) x, ((Number) n).longValue()));
      }
      case "RIGHT": {
        Scalar[] o = compiler.operands(call);
        return strict2(o[0], o[1], (x, n) -> TextFunctions.right((String) x, ((Number) n).longValue()));
      }
      case "STRPOS": {
        Scalar[] o = compiler.operands(call);
        return strict2(o[0], o[1], (x, sub) -> TextFunctions.strpos((String) x, (String) sub));
      }
      case "SPLIT_PART": {
        Scalar[] o = compiler.operands(call);
        return row -> {
          Object x = o[0].eval(row);
          Object d = o[1].eval(row);
          Object n = o[2].eval(row);
          return x == null || d == null || n == null ? null
              : TextFunctions.splitPart((String) x, (String) d, ((Number) n).longValue());
        };
      }
      case "BTRIM":
      case "LTRIM":
      case "RTRIM": {
        Scalar[] o = compiler.operands(call);
        boolean leading = !name.equals("RTRIM");
        boolean trailing = !name.equals("LTRIM");
        Scalar chars = o.length > 1 ? o[1] : row -> " ";
        return strict2(o[0], chars, (x, c) -> TextFunctions.trim((String) x, (String) c, leading, trailing));
      }
      case "SIGN":
        return strict1(compiler.compile(call.getOperands().get(0)), MathFunctions::sign);
      case "TRUNC": {
        Scalar[] o = compiler.operands(call);
        if (o.length == 1) {
          return strict1(o[0], x -> MathFunctions.trunc(x, null));
        }
        return strict2(o[0], o[1], MathFunctions::trunc);
      }
      case "POWER": {
        MathFunctions.checkPower(call.getOperands().get(0), call.getOperands().get(1));
        Scalar[] o = compiler.operands(call);
        return strict2(o[0], o[1], MathFunctions::power);
      }
      case "SQRT":
        return strict1(compiler.compile(call.getOperands().get(0)), MathFunctions::sqrt);
      case "MAKE_DATE": {
        Scalar[] o = compiler.operands(call);
        return row -> {
          Object y = o[0].eval(row);
          Object m = o[1].eval(row);
          Object d = o[2].eval(row);
          return y == null || m == null || d == null ? null
              : DateTimes.makeDate(((Number) y).longValue(), ((Number) m).longValue(), ((Number) d).longValue());
        };
      }
      case "POSIX REGEX CASE SENSITIVE":
      case "POSIX REGEX CASE INSENSITIVE":
      case "NEGATED POSIX REGEX CASE SENSITIVE":
      case "NEGATED POSIX REGEX CASE INSENSITIVE":
        return regexMatch(call, name.startsWith("NEGATED"), name.endsWith("INSENSITIVE"));
      case "REGEXP_REPLACE":
        return regexpReplace(call);
      case "TO_CHAR":
        return toChar(call);
      case "REGEXP_MATCH":
        throw new UnsupportedConstructException("regexp_match (it returns an array, which a view's rows cannot"
            + " hold; regexp_replace or the ~ operators may serve instead)");
      case "GREATEST":
      case "LEAST":
        return greatestLeast(call, name.equals("GREATEST"));
      case "AGE": {
        if (call.getOperands().size() != 2) {
          throw new UnsupportedConstructException("age() with one argument (it counts from current_date, which"
              + " changes every day, so no maintained result could stay equal to running the view's query)");
        }
        boolean zoned = false;
        for (RexNode o : call.getOperands()) {
          SqlTypeName t = o.getType().getSqlTypeName();
          zoned |= t == SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE;
          if (t != SqlTypeName.TIMESTAMP && t != SqlTypeName.DATE && t != SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE) {
            throw new UnsupportedConstructException("age() of a " + t);
          }
        }
        Scalar[] o = compiler.operands(call);
        if (!zoned) {
          return strict2(o[0], o[1], DateTimes::age);
        }
        // PostgreSQL's timestamptz age takes the fields of both local times in the session's zone
        java.time.ZoneId z = compiler.zoneOf("age() of a timestamp with time zone");
        return strict2(o[0], o[1], (x, y) -> DateTimes.age(local(x, z), local(y, z)));
      }
      default:
        return null;
    }
  }

  /**
   * Refuses a boolean argument of concat/concat_ws: PostgreSQL writes it with boolean's output function
   * ({@code t}), but the validator hands it over cast to text, which PostgreSQL writes {@code true}.
   */
  private static void refuseBooleanText(RexCall call) {
    for (RexNode o : call.getOperands()) {
      if (o.getType().getSqlTypeName() == SqlTypeName.BOOLEAN
          || o.isA(SqlKind.CAST) && ((RexCall) o).getOperands().get(0).getType().getSqlTypeName() == SqlTypeName.BOOLEAN
          || o instanceof RexLiteral l && !l.isNull() && SqlTypeFamily.CHARACTER.contains(l.getType())
              && ("TRUE".equals(literalValue(l)) || "FALSE".equals(literalValue(l)))) {
        throw new UnsupportedConstructException(call.getOperator().getName().toLowerCase(Locale.ROOT)
            + " of a boolean (cast it to text)");
      }
    }
  }

  /** A value's text as PostgreSQL's output function writes it (booleans are {@code t}/{@code f}). */
  private static String outputText(Object v) {
    return v instanceof Boolean b ? (b ? "t" : "f") : Casts.toText(v);
  }

  /** The value of a constant text operand, or a refusal naming what needs it constant. */
  private static String constantText(RexNode node, String what) {
    if (node instanceof RexLiteral lit && !lit.isNull() && literalValue(lit) instanceof String s) {
      return s;
    }
    throw new UnsupportedConstructException(what + " that is not a constant");
  }

  /** {@code s ~ p}, {@code ~*}, {@code !~}, {@code !~*} with a constant pattern. */
  private Scalar regexMatch(RexCall call, boolean negated, boolean caseInsensitive) {
    java.util.regex.Pattern p = RegexFunctions.compile(
        constantText(call.getOperands().get(1), "a regular expression"), caseInsensitive, false,
        compiler.textCase());
    Scalar a = compiler.compile(call.getOperands().get(0));
    return strict1(a, x -> p.matcher((String) x).find() != negated);
  }

  /**
   * PostgreSQL's greatest/least: NULLs are ignored (NULL only when all are), values compared in the common
   * type, which carries no typmod unless all arguments share it. Calcite casts the arguments to its common
   * DECIMAL(p, s), which would round or pad them; here a numeric cast only changes the value's class.
   */
  private Scalar greatestLeast(RexCall call, boolean greatest) {
    List<RexNode> ops = call.getOperands();
    Scalar[] o = new Scalar[ops.size()];
    for (int i = 0; i < o.length; i++) {
      RexNode op = ops.get(i);
      if (op.isA(SqlKind.CAST) && SqlTypeFamily.NUMERIC.contains(op.getType())
          && SqlTypeFamily.NUMERIC.contains(((RexCall) op).getOperands().get(0).getType())) {
        Scalar inner = compiler.compile(((RexCall) op).getOperands().get(0));
        boolean toDouble = op.getType().getSqlTypeName() == SqlTypeName.DOUBLE
            || op.getType().getSqlTypeName() == SqlTypeName.FLOAT || op.getType().getSqlTypeName() == SqlTypeName.REAL;
        boolean toNumeric = op.getType().getSqlTypeName() == SqlTypeName.DECIMAL;
        o[i] = strict1(inner, x -> toDouble ? (Object) ((Number) x).doubleValue()
            : toNumeric ? PgValues.toBigDecimal(x) : x);
      } else {
        o[i] = compiler.compile(op);
      }
    }
    return row -> {
      Object best = null;
      for (Scalar s : o) {
        Object v = s.eval(row);
        if (v == null) {
          continue;
        }
        int c = best == null ? 0 : PgValues.compare(v, best);
        if (best == null || (greatest ? c > 0 : c < 0)) {
          best = v;
        }
      }
      return best;
    };
  }

  /** A date, timestamp or timestamptz as a timestamp; a timestamptz at its local time in {@code zone}. */
  private static Object local(Object x, java.time.ZoneId zone) {
    return x instanceof java.time.Instant i ? SessionZone.local(i, zone) : x;
  }

  /** to_char(date/timestamp or number, constant format). */
  private Scalar toChar(RexCall call) {
    RexNode arg = call.getOperands().get(0);
    String format = constantText(call.getOperands().get(1), "a to_char format");
    Scalar a = compiler.compile(arg);
    SqlTypeName t = arg.getType().getSqlTypeName();
    switch (t) {
      case DATE:
      case TIMESTAMP: {
        java.util.function.Function<java.time.LocalDateTime, String> f = ToChar.compileDateTime(format);
        return strict1(a, x -> f.apply(x instanceof java.time.LocalDate d ? d.atStartOfDay()
            : (java.time.LocalDateTime) x));
      }
      case TIMESTAMP_WITH_LOCAL_TIME_ZONE: {
        // the local time in the session's zone; the patterns that print the zone itself are refused by ToChar
        java.util.function.Function<java.time.LocalDateTime, String> f = ToChar.compileDateTime(format);
        java.time.ZoneId z = compiler.zoneOf("to_char of a timestamp with time zone");
        return strict1(a, x -> f.apply(SessionZone.local((java.time.Instant) x, z)));
      }
      default:
        if (!SqlTypeFamily.NUMERIC.contains(arg.getType())) {
          throw new UnsupportedConstructException("to_char of a " + t);
        }
        java.util.function.Function<Object, String> n = ToCharNumber.compile(format,
            t == SqlTypeName.REAL ? 6 : t == SqlTypeName.DOUBLE || t == SqlTypeName.FLOAT ? 15 : 0);
        return strict1(a, n::apply);
    }
  }

  /** regexp_replace(s, pattern, replacement [, flags]) with a constant pattern and flags. */
  private Scalar regexpReplace(RexCall call) {
    List<RexNode> ops = call.getOperands();
    if (ops.size() > 4) {
      throw new UnsupportedConstructException("regexp_replace with a start position");
    }
    boolean[] flags = ops.size() == 4
        ? RegexFunctions.flags(constantText(ops.get(3), "a regexp_replace flag")) : new boolean[2];
    java.util.regex.Pattern p = RegexFunctions.compile(constantText(ops.get(1), "a regular expression"),
        flags[1], true, compiler.textCase());
    Scalar s = compiler.compile(ops.get(0));
    Scalar replacement = compiler.compile(ops.get(2));
    return strict2(s, replacement, (x, r) -> RegexFunctions.replace(p, (String) x, (String) r, flags[0]));
  }
}
