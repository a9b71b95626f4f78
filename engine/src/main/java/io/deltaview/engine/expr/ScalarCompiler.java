package io.deltaview.engine.expr;

import io.deltaview.sql.SqlStates;
import io.deltaview.engine.compile.UnsupportedConstructException;
import io.deltaview.engine.row.Row;
import io.deltaview.engine.row.Values;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import org.apache.calcite.avatica.util.TimeUnitRange;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeSystem;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexCorrelVariable;
import org.apache.calcite.rex.RexDynamicParam;
import org.apache.calcite.rex.RexFieldAccess;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexOver;
import org.apache.calcite.rex.RexSubQuery;
import org.apache.calcite.rex.RexUtil;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.fun.SqlLikeOperator;
import org.apache.calcite.sql.fun.SqlTrimFunction;
import org.apache.calcite.sql.type.SqlTypeFamily;
import org.apache.calcite.sql.type.SqlTypeName;
import org.apache.calcite.util.DateString;
import org.apache.calcite.util.NlsString;
import org.apache.calcite.util.TimestampString;

/**
 * Compiles a Calcite {@link RexNode} into a {@link Scalar} with PostgreSQL semantics: three-valued logic,
 * NULL-propagating operators and functions, numeric promotion and PostgreSQL's numeric scales. Anything
 * not handled throws {@link UnsupportedConstructException} naming the construct.
 */
public final class ScalarCompiler {

  private final RexBuilder rexBuilder;
  private final SessionZone zone;
  private final TextCase textCase;
  private final PgFunctionCalls functions = new PgFunctionCalls(this);

  /** A compiler for constant expressions that convert no timestamp with time zone. */
  public ScalarCompiler(RexBuilder rexBuilder) {
    this(rexBuilder, SessionZone.UTC);
  }

  /** A compiler whose timestamp with time zone conversions happen in {@code zone}, the view creator's. */
  public ScalarCompiler(RexBuilder rexBuilder, SessionZone zone) {
    this(rexBuilder, zone, TextCase.UNICODE);
  }

  /**
   * A compiler whose timestamp with time zone conversions happen in {@code zone} and whose case mappings
   * ({@code upper}, {@code lower}, {@code ILIKE}, {@code ~*}) are {@code textCase}, the view's ctype's.
   */
  public ScalarCompiler(RexBuilder rexBuilder, SessionZone zone, TextCase textCase) {
    this.rexBuilder = Objects.requireNonNull(rexBuilder);
    this.zone = Objects.requireNonNull(zone);
    this.textCase = Objects.requireNonNull(textCase);
  }

  /** The case mappings of the view's ctype. */
  TextCase textCase() {
    return textCase;
  }

  /**
   * The zone that converts between {@code from} and {@code to} values in {@code construct}: the session's when
   * exactly one of them is a timestamp with time zone (refused when the session's zone is not reproducible),
   * else UTC, which then converts nothing.
   */
  ZoneId zoneBetween(String construct, RelDataType from, RelDataType to) {
    return isZoned(from) != isZoned(to) ? zone.require(construct) : ZoneOffset.UTC;
  }

  /**
   * The session's zone, for {@code construct} over a timestamp with time zone.
   *
   * @throws UnsupportedConstructException when the session's TimeZone is not one Deltaview reproduces
   */
  public ZoneId zoneOf(String construct) {
    return zone.require(construct);
  }

  static boolean isZoned(RelDataType type) {
    return type.getSqlTypeName() == SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE;
  }

  /** Compiles {@code node}, whose input references index the row passed to {@link Scalar#eval}. */
  public Scalar compile(RexNode node) {
    if (node instanceof RexInputRef ref) {
      int i = ref.getIndex();
      return row -> row.get(i);
    }
    if (node instanceof RexLiteral lit) {
      Object v = literalValue(lit);
      return row -> v;
    }
    if (node instanceof RexOver over) {
      throw new UnsupportedConstructException("window function " + over.getAggOperator().getName());
    }
    if (node instanceof RexSubQuery sub) {
      throw new UnsupportedConstructException("subquery (" + sub.getKind().sql + ")");
    }
    if (node instanceof RexCorrelVariable || node instanceof RexFieldAccess) {
      throw new UnsupportedConstructException("subquery");
    }
    if (node instanceof RexDynamicParam) {
      throw new UnsupportedConstructException("query parameter in a view");
    }
    if (node instanceof RexCall call) {
      return compileCall(call);
    }
    throw new UnsupportedConstructException("expression " + node);
  }

  /** The canonical value of a literal (see {@link Values}); interval literals give an {@link Interval}. */
  static Object literalValue(RexLiteral lit) {
    if (lit.isNull()) {
      return null;
    }
    SqlTypeName t = lit.getType().getSqlTypeName();
    switch (t) {
      case BOOLEAN:
        return lit.getValueAs(Boolean.class);
      case TINYINT:
      case SMALLINT:
      case INTEGER:
      case BIGINT:
        return lit.getValueAs(Long.class);
      case DECIMAL: {
        BigDecimal d = lit.getValueAs(BigDecimal.class);
        return d.scale() < 0 ? d.setScale(0) : d;
      }
      case REAL:
      case FLOAT:
      case DOUBLE:
        return lit.getValueAs(Double.class);
      case CHAR:
      case VARCHAR:
        // Note: Calcite pads CHAR literals widened by CASE/UNION unless the type system converts ragged
        // union types to VARCHAR (RelDataTypeSystem#shouldConvertRaggedUnionTypesToVarying), which the
        // planner feeding this compiler should enable: PostgreSQL treats such literals as text.
        return lit.getValueAs(String.class);
      case DATE:
        return Values.parse(lit.getValueAs(DateString.class).toString(), SqlTypeName.DATE);
      case TIMESTAMP:
        return Values.parse(lit.getValueAs(TimestampString.class).toString(), SqlTypeName.TIMESTAMP);
      case TIME:
        return LocalTime.parse(lit.getValueAs(org.apache.calcite.util.TimeString.class).toString());
      case SYMBOL:
        return lit.getValue();
      default:
        if (SqlTypeName.YEAR_INTERVAL_TYPES.contains(t)) {
          return new Interval(lit.getValueAs(Long.class), Duration.ZERO);
        }
        if (SqlTypeName.DAY_INTERVAL_TYPES.contains(t)) {
          long millis = lit.getValueAs(Long.class);
          if (t.getStartUnit() == org.apache.calcite.avatica.util.TimeUnit.DAY) {
            // PostgreSQL keeps the days of '1 12:00' DAY TO HOUR apart from its time
            return new Interval(0, millis / 86_400_000L, Duration.ofMillis(millis % 86_400_000L));
          }
          return new Interval(0, Duration.ofMillis(millis));
        }
        if (lit.getValue() instanceof NlsString s) {
          return s.getValue();
        }
        throw new UnsupportedConstructException("literal of type " + t);
    }
  }

  private static boolean isChar(RexNode node) {
    return node.getType().getSqlTypeName() == SqlTypeName.CHAR;
  }

  private static Scalar stripTrailingBlanks(Scalar s) {
    return row -> {
      Object v = s.eval(row);
      if (v instanceof String str) {
        int e = str.length();
        while (e > 0 && str.charAt(e - 1) == ' ') {
          e--;
        }
        return str.substring(0, e);
      }
      return v;
    };
  }

  Scalar[] operands(RexCall call) {
    List<RexNode> ops = call.getOperands();
    Scalar[] out = new Scalar[ops.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = compile(ops.get(i));
    }
    return out;
  }

  /** A NULL-propagating unary function. */
  static Scalar strict1(Scalar a, java.util.function.Function<Object, Object> f) {
    return row -> {
      Object x = a.eval(row);
      return x == null ? null : f.apply(x);
    };
  }

  /** A NULL-propagating binary function. */
  static Scalar strict2(Scalar a, Scalar b, java.util.function.BinaryOperator<Object> f) {
    return row -> {
      Object x = a.eval(row);
      if (x == null) {
        return null;
      }
      Object y = b.eval(row);
      return y == null ? null : f.apply(x, y);
    };
  }

  private Scalar compileCall(RexCall call) {
    SqlKind kind = call.getKind();
    switch (kind) {
      case SEARCH:
        return compile(RexUtil.expandSearch(rexBuilder, null, call));
      case AND:
        return and(operands(call));
      case OR:
        return or(operands(call));
      case NOT: {
        Scalar a = compile(call.getOperands().get(0));
        return strict1(a, x -> !(Boolean) x);
      }
      case EQUALS:
      case NOT_EQUALS:
      case LESS_THAN:
      case LESS_THAN_OR_EQUAL:
      case GREATER_THAN:
      case GREATER_THAN_OR_EQUAL: {
        Scalar[] o = comparedOperands(call);
        if (isChar(call.getOperands().get(0)) || isChar(call.getOperands().get(1))) {
          // bpchar semantics: trailing blanks are insignificant (Calcite pads CHAR literals, e.g. in IN lists)
          o = new Scalar[] {stripTrailingBlanks(o[0]), stripTrailingBlanks(o[1])};
        }
        return comparison(kind, o);
      }
      case IS_NULL: {
        Scalar a = compile(call.getOperands().get(0));
        return row -> a.eval(row) == null;
      }
      case IS_NOT_NULL: {
        Scalar a = compile(call.getOperands().get(0));
        return row -> a.eval(row) != null;
      }
      case IS_TRUE: {
        Scalar a = compile(call.getOperands().get(0));
        return row -> Boolean.TRUE.equals(a.eval(row));
      }
      case IS_NOT_TRUE: {
        Scalar a = compile(call.getOperands().get(0));
        return row -> !Boolean.TRUE.equals(a.eval(row));
      }
      case IS_FALSE: {
        Scalar a = compile(call.getOperands().get(0));
        return row -> Boolean.FALSE.equals(a.eval(row));
      }
      case IS_NOT_FALSE: {
        Scalar a = compile(call.getOperands().get(0));
        return row -> !Boolean.FALSE.equals(a.eval(row));
      }
      case IS_DISTINCT_FROM:
      case IS_NOT_DISTINCT_FROM: {
        Scalar[] o = comparedOperands(call);
        boolean distinct = kind == SqlKind.IS_DISTINCT_FROM;
        return row -> {
          Object x = o[0].eval(row);
          Object y = o[1].eval(row);
          boolean same = x == null || y == null ? x == y : PgValues.sqlEquals(x, y);
          return same != distinct;
        };
      }
      case PLUS:
        return plusMinus(operands(call), false, call.getType(), intervalZone(call));
      case MINUS:
        return plusMinus(operands(call), true, call.getType(), intervalZone(call));
      case TIMES: {
        Scalar[] o = operands(call);
        return strict2(o[0], o[1], PgValues::multiply);
      }
      case DIVIDE: {
        Scalar[] o = operands(call);
        return strict2(o[0], o[1], PgValues::divide);
      }
      case MOD: {
        Scalar[] o = operands(call);
        return strict2(o[0], o[1], PgValues::mod);
      }
      case MINUS_PREFIX:
        return strict1(compile(call.getOperands().get(0)), x -> x instanceof Interval i ? i.negate() : PgValues.negate(x));
      case PLUS_PREFIX:
        return compile(call.getOperands().get(0));
      case CASE:
        return caseWhen(operands(call));
      case COALESCE: {
        Scalar[] o = operands(call);
        return row -> {
          for (Scalar s : o) {
            Object v = s.eval(row);
            if (v != null) {
              return v;
            }
          }
          return null;
        };
      }
      case NULLIF: {
        Scalar[] o = operands(call);
        return row -> {
          Object x = o[0].eval(row);
          Object y = o[1].eval(row);
          return x != null && y != null && PgValues.sqlEquals(x, y) ? null : x;
        };
      }
      case CAST: {
        RelDataType target = call.getType();
        if (SqlTypeFamily.DATETIME_INTERVAL.contains(target)) {
          // PostgreSQL has one interval type: a cast between Calcite's interval types changes nothing
          if (!SqlTypeFamily.DATETIME_INTERVAL.contains(call.getOperands().get(0).getType())) {
            throw new UnsupportedConstructException("CAST to interval");
          }
          return compile(call.getOperands().get(0));
        }
        RexNode operand = call.getOperands().get(0);
        Scalar a = compile(operand);
        Casts.checkSupported(target);
        RelDataTypeSystem ts = rexBuilder.getTypeFactory().getTypeSystem();
        ZoneId z = zoneBetween("CAST of " + operand.getType().getSqlTypeName() + " to " + target.getSqlTypeName(),
            operand.getType(), target);
        return strict1(a, x -> Casts.cast(x, target, ts, z));
      }
      case LIKE:
        return like(call);
      case EXTRACT:
        return extract(call);
      case FLOOR:
      case CEIL:
        return floorCeil(call, kind == SqlKind.FLOOR);
      case TRIM:
        return trim(call);
      case POSITION: {
        Scalar[] o = operands(call);
        if (o.length != 2) {
          break;
        }
        return strict2(o[0], o[1], (needle, hay) -> {
          int i = ((String) hay).indexOf((String) needle);
          return i < 0 ? 0L : (long) ((String) hay).codePointCount(0, i) + 1;
        });
      }
      case OTHER_FUNCTION:
      case OTHER:
        break;
      default:
        break;
    }
    return byName(call);
  }

  private Scalar byName(RexCall call) {
    String name = call.getOperator().getName().toUpperCase(Locale.ROOT);
    Scalar pg = functions.compile(call, name);
    if (pg != null) {
      return pg;
    }
    switch (name) {
      case "||": {
        Scalar[] o = operands(call);
        return strict2(o[0], o[1], (x, y) -> Casts.toText(x) + Casts.toText(y));
      }
      case "UPPER":
        return strict1(compile(call.getOperands().get(0)), x -> textCase.upper((String) x));
      case "LOWER":
        return strict1(compile(call.getOperands().get(0)), x -> textCase.lower((String) x));
      case "CHAR_LENGTH":
      case "CHARACTER_LENGTH":
      case "LENGTH":
        return strict1(compile(call.getOperands().get(0)),
            x -> (long) ((String) x).codePointCount(0, ((String) x).length()));
      case "SUBSTRING":
      case "SUBSTR":
        return substring(operands(call));
      case "ABS":
        return strict1(compile(call.getOperands().get(0)),
            x -> PgValues.compare(x, 0L) < 0 ? PgValues.negate(x) : x);
      case "ROUND":
        return round(operands(call));
      case "DATE_TRUNC":
        return dateTrunc(call);
      case "REPLACE": {
        Scalar[] o = operands(call);
        return row -> {
          Object s = o[0].eval(row);
          Object from = o[1].eval(row);
          Object to = o[2].eval(row);
          return s == null || from == null || to == null ? null
              : ((String) from).isEmpty() ? s : ((String) s).replace((String) from, (String) to);
        };
      }
      default:
        break;
    }
    if (call.getOperator().isAggregator()) {
      throw new UnsupportedConstructException("aggregate function " + name + " in this position");
    }
    if (!call.getOperator().isDeterministic() || call.getOperator().isDynamicFunction()) {
      throw new UnsupportedConstructException("non-deterministic function " + name.toLowerCase(Locale.ROOT)
          + " (its value changes with the time or from call to call, so no maintained result could stay equal"
          + " to running the view's query)");
    }
    throw new UnsupportedConstructException(
        call.getOperator() instanceof org.apache.calcite.sql.SqlFunction ? "function " + name : "operator " + name);
  }

  /** Whether {@code node} evaluates to an {@link Interval}: an interval type, or age() (typed ANY). */
  private static boolean isInterval(RexNode node) {
    return SqlTypeFamily.DATETIME_INTERVAL.contains(node.getType())
        || node instanceof RexCall c && c.getOperator().getName().equalsIgnoreCase("age");
  }

  // ---- logic ------------------------------------------------------------------------------------------

  /** Three-valued AND: FALSE wins, then NULL, else TRUE. */
  private static Scalar and(Scalar[] o) {
    return row -> {
      boolean sawNull = false;
      for (Scalar s : o) {
        Object v = s.eval(row);
        if (v == null) {
          sawNull = true;
        } else if (!(Boolean) v) {
          return Boolean.FALSE;
        }
      }
      return sawNull ? null : Boolean.TRUE;
    };
  }

  /** Three-valued OR: TRUE wins, then NULL, else FALSE. */
  private static Scalar or(Scalar[] o) {
    return row -> {
      boolean sawNull = false;
      for (Scalar s : o) {
        Object v = s.eval(row);
        if (v == null) {
          sawNull = true;
        } else if ((Boolean) v) {
          return Boolean.TRUE;
        }
      }
      return sawNull ? null : Boolean.FALSE;
    };
  }

  private static Scalar comparison(SqlKind kind, Scalar[] o) {
    switch (kind) {
      case EQUALS:
        return strict2(o[0], o[1], (x, y) -> PgValues.sqlEquals(x, y));
      case NOT_EQUALS:
        return strict2(o[0], o[1], (x, y) -> !PgValues.sqlEquals(x, y));
      case LESS_THAN:
        return strict2(o[0], o[1], (x, y) -> PgValues.compare(x, y) < 0);
      case LESS_THAN_OR_EQUAL:
        return strict2(o[0], o[1], (x, y) -> PgValues.compare(x, y) <= 0);
      case GREATER_THAN:
        return strict2(o[0], o[1], (x, y) -> PgValues.compare(x, y) > 0);
      default:
        return strict2(o[0], o[1], (x, y) -> PgValues.compare(x, y) >= 0);
    }
  }

  /** CASE WHEN c1 THEN v1 ... ELSE e END; Calcite passes [c1, v1, c2, v2, ..., e]. */
  private static Scalar caseWhen(Scalar[] o) {
    return row -> {
      int i = 0;
      for (; i + 1 < o.length; i += 2) {
        if (Boolean.TRUE.equals(o[i].eval(row))) {
          return o[i + 1].eval(row);
        }
      }
      return i < o.length ? o[i].eval(row) : null;
    };
  }

  // ---- arithmetic -------------------------------------------------------------------------------------

  /**
   * Operands of a comparison. PostgreSQL compares a date or timestamp with a timestamp with time zone as the
   * instant it is in the session's zone, so such an operand is converted first.
   */
  private Scalar[] comparedOperands(RexCall call) {
    Scalar[] o = operands(call);
    RelDataType t0 = call.getOperands().get(0).getType();
    RelDataType t1 = call.getOperands().get(1).getType();
    if (isZoned(t0) != isZoned(t1) && SqlTypeFamily.DATETIME.contains(t0) && SqlTypeFamily.DATETIME.contains(t1)) {
      int local = isZoned(t0) ? 1 : 0;
      RelDataType zoned = isZoned(t0) ? t0 : t1;
      ZoneId z = zoneOf("comparing a " + call.getOperands().get(local).getType().getSqlTypeName()
          + " with a timestamp with time zone");
      RelDataTypeSystem ts = rexBuilder.getTypeFactory().getTypeSystem();
      Scalar a = o[local];
      o[local] = strict1(a, x -> Casts.cast(x, zoned, ts, z));
    }
    return o;
  }

  /**
   * The zone a timestamp with time zone ± interval is computed in: PostgreSQL adds months and days to the local
   * time in the session's zone (a day is 23 or 25 hours across a daylight-saving change). An interval literal of
   * hours and smaller units is added to the instant and needs no zone.
   */
  private ZoneId intervalZone(RexCall call) {
    if (!isZoned(call.getType())) {
      return ZoneOffset.UTC;
    }
    for (RexNode o : call.getOperands()) {
      if (o instanceof RexLiteral lit && isInterval(lit)
          && literalValue(lit) instanceof Interval i && i.months() == 0 && i.days() == 0) {
        return ZoneOffset.UTC;
      }
    }
    return zoneOf("adding an interval of days or months to a timestamp with time zone");
  }

  private static Scalar plusMinus(Scalar[] o, boolean minus, RelDataType type, ZoneId zone) {
    return strict2(o[0], o[1], (x, y) -> {
      if (x instanceof Interval || y instanceof Interval) {
        if (minus && x instanceof Interval) {
          throw new UnsupportedConstructException("operator - on an interval and a date/time");
        }
        Object t = x instanceof Interval ? y : x;
        Interval i = x instanceof Interval ? (Interval) x : (Interval) y;
        return Casts.cast((minus ? i.negate() : i).addTo(t, zone), type);
      }
      if (minus && x instanceof java.time.LocalDate a && y instanceof java.time.LocalDate b) {
        return b.until(a, java.time.temporal.ChronoUnit.DAYS); // date - date = integer days
      }
      if (x instanceof java.time.LocalDate || y instanceof java.time.LocalDate) {
        return DateTimes.plusDays(x, y, minus); // date ± integer = date
      }
      if (!(x instanceof Number) || !(y instanceof Number)) {
        throw new UnsupportedConstructException("operator " + (minus ? "-" : "+") + " on "
            + x.getClass().getSimpleName() + " and " + y.getClass().getSimpleName());
      }
      return minus ? PgValues.subtract(x, y) : PgValues.add(x, y);
    });
  }

  /** ROUND(numeric[, s]) rounds half away from zero; ROUND(double) rounds half to even like rint(). */
  private static Scalar round(Scalar[] o) {
    return row -> {
      Object x = o[0].eval(row);
      Object s = o.length > 1 ? o[1].eval(row) : 0L;
      if (x == null || s == null) {
        return null;
      }
      int scale = ((Number) s).intValue();
      if (x instanceof Double d) {
        return o.length > 1 ? PgValues.toBigDecimal(d).setScale(scale, RoundingMode.HALF_UP).doubleValue()
            : Math.rint(d);
      }
      if (x instanceof Long l && o.length == 1) {
        return l.doubleValue(); // round(integer) resolves to round(double precision)
      }
      if (x instanceof Long l && scale >= 0) {
        return BigDecimal.valueOf(l).setScale(scale);
      }
      BigDecimal r = PgValues.toBigDecimal(x).setScale(scale, RoundingMode.HALF_UP);
      return r.scale() < 0 ? r.setScale(0) : r;
    };
  }

  // ---- text -------------------------------------------------------------------------------------------

  /** PostgreSQL's substring(s from start [for count]): positions before 1 eat into the count. */
  private static Scalar substring(Scalar[] o) {
    return row -> {
      Object s = o[0].eval(row);
      Object st = o[1].eval(row);
      Object ct = o.length > 2 ? o[2].eval(row) : null;
      if (s == null || st == null || o.length > 2 && ct == null) {
        return null;
      }
      String str = (String) s;
      long n = str.codePointCount(0, str.length());
      long start = ((Number) st).longValue();
      long end; // exclusive, 1-based
      if (o.length > 2) {
        long count = ((Number) ct).longValue();
        if (count < 0) {
          throw new EvaluationException(SqlStates.SUBSTRING_ERROR, "negative substring length not allowed");
        }
        end = start + count;
      } else {
        end = Long.MAX_VALUE;
      }
      long from = Math.max(start, 1);
      long to = Math.min(end, n + 1);
      if (to <= from) {
        return "";
      }
      int b = str.offsetByCodePoints(0, (int) (from - 1));
      int e = str.offsetByCodePoints(b, (int) (to - from));
      return str.substring(b, e);
    };
  }

  private Scalar trim(RexCall call) {
    List<RexNode> ops = call.getOperands();
    SqlTrimFunction.Flag flag = ((RexLiteral) ops.get(0)).getValueAs(SqlTrimFunction.Flag.class);
    Scalar chars = compile(ops.get(1));
    Scalar source = compile(ops.get(2));
    boolean leading = flag != SqlTrimFunction.Flag.TRAILING;
    boolean trailing = flag != SqlTrimFunction.Flag.LEADING;
    return strict2(chars, source, (c, s) -> TextFunctions.trim((String) s, (String) c, leading, trailing));
  }

  /** LIKE with PostgreSQL's default escape character, backslash, unless ESCAPE gives another. */
  private Scalar like(RexCall call) {
    if (!(call.getOperator() instanceof SqlLikeOperator op)) {
      throw new UnsupportedConstructException("operator " + call.getOperator().getName());
    }
    boolean negated = op.isNegated();
    // ILIKE is PostgreSQL's LIKE of lower(s) and lower(pattern), lowered by the ctype's rules
    boolean fold = !op.isCaseSensitive();
    int flags = Pattern.DOTALL;
    Scalar[] o = operands(call);
    if (fold) {
      Scalar text = o[0];
      Scalar pattern = o[1];
      o[0] = row -> text.eval(row) instanceof String x ? textCase.lower(x) : null;
      o[1] = row -> pattern.eval(row) instanceof String x ? textCase.lower(x) : null;
    }
    Scalar escape = o.length > 2 ? o[2] : row -> "\\";
    RexNode patternNode = call.getOperands().get(1);
    Pattern constant = patternNode instanceof RexLiteral lit && !lit.isNull() && o.length == 2
        ? likeToRegex(fold ? textCase.lower((String) literalValue(lit)) : (String) literalValue(lit), '\\', flags)
        : null;
    return row -> {
      Object s = o[0].eval(row);
      if (s == null) {
        return null;
      }
      Pattern p = constant;
      if (p == null) {
        Object pat = o[1].eval(row);
        Object esc = escape.eval(row);
        if (pat == null || esc == null) {
          return null;
        }
        String e = (String) esc;
        p = likeToRegex((String) pat, e.isEmpty() ? 0 : e.charAt(0), flags);
      }
      return p.matcher((String) s).matches() != negated;
    };
  }

  static Pattern likeToRegex(String pattern, char escape, int flags) {
    StringBuilder re = new StringBuilder();
    for (int i = 0; i < pattern.length(); i++) {
      char c = pattern.charAt(i);
      if (escape != 0 && c == escape && i + 1 < pattern.length()) {
        re.append(Pattern.quote(String.valueOf(pattern.charAt(++i))));
      } else if (c == '%') {
        re.append(".*");
      } else if (c == '_') {
        re.append('.');
      } else {
        re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(re.toString(), flags);
  }

  // ---- date/time --------------------------------------------------------------------------------------

  /** EXTRACT(field FROM x), a numeric; or date_part('field', x), a double precision. */
  private Scalar extract(RexCall call) {
    RexLiteral fieldNode = (RexLiteral) call.getOperands().get(0);
    RexNode arg = call.getOperands().get(1);
    Scalar a = compile(arg);
    boolean zoned = arg.getType().getSqlTypeName() == SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE;
    boolean interval = isInterval(arg);
    if (interval) {
      boolean datePart = literalValue(fieldNode) instanceof String;
      String field = datePart ? DateTimes.datePartField((String) literalValue(fieldNode))
          : fieldNode.getValueAs(TimeUnitRange.class).name();
      if (field == null) {
        throw new UnsupportedConstructException("date_part('" + literalValue(fieldNode) + "', …)");
      }
      DateTimes.checkIntervalField(field);
      return datePart ? strict1(a, x -> DateTimes.datePartInterval(field, (Interval) x))
          : strict1(a, x -> DateTimes.extractInterval(field, (Interval) x));
    }
    if (literalValue(fieldNode) instanceof String text) {
      String field = DateTimes.datePartField(text);
      if (field == null) {
        throw new UnsupportedConstructException("date_part('" + text + "', …)");
      }
      if (!SqlTypeFamily.DATETIME.contains(arg.getType()) || arg.getType().getSqlTypeName() == SqlTypeName.TIME) {
        throw new UnsupportedConstructException("date_part of a " + arg.getType().getSqlTypeName());
      }
      if (!field.equals("JULIAN")) {
        DateTimes.checkExtract(TimeUnitRange.valueOf(field));
      }
      ZoneId z = zoned && !field.equals("EPOCH") ? zoneOf("date_part('" + text + "', …) of a timestamp with time zone")
          : ZoneOffset.UTC;
      return strict1(a, x -> DateTimes.datePart(field, x, z));
    }
    TimeUnitRange unit = fieldNode.getValueAs(TimeUnitRange.class);
    DateTimes.checkExtract(unit);
    ZoneId z = zoned && unit != TimeUnitRange.EPOCH ? zoneOf("EXTRACT(" + unit + ") of a timestamp with time zone")
        : ZoneOffset.UTC;
    return strict1(a, x -> DateTimes.extract(unit, x, z));
  }

  private Scalar floorCeil(RexCall call, boolean floor) {
    List<RexNode> ops = call.getOperands();
    Scalar a = compile(ops.get(0));
    if (ops.size() == 1) {
      if (!SqlTypeFamily.NUMERIC.contains(ops.get(0).getType())) {
        throw new UnsupportedConstructException("function " + call.getOperator().getName());
      }
      return strict1(a, x -> {
        if (x instanceof Long l) {
          return l.doubleValue(); // floor/ceil(integer) resolve to the double precision overloads
        }
        if (x instanceof Double d) {
          return floor ? Math.floor(d) : Math.ceil(d);
        }
        return ((BigDecimal) x).setScale(0, floor ? RoundingMode.FLOOR : RoundingMode.CEILING);
      });
    }
    if (!floor) {
      throw new UnsupportedConstructException("CEIL of a date/time");
    }
    TimeUnitRange unit = ((RexLiteral) ops.get(1)).getValueAs(TimeUnitRange.class);
    DateTimes.checkTrunc(unit.startUnit.name());
    return truncation(unit.startUnit.name(), a, ops.get(0).getType(), call.getType());
  }

  /**
   * Truncates {@code a}'s values, of type {@code argType}, to {@code unit}, giving {@code type}: a timestamp with
   * time zone is truncated in the session's zone, and a date that PostgreSQL's {@code date_trunc} takes as one is
   * midnight there.
   */
  private Scalar truncation(String unit, Scalar a, RelDataType argType, RelDataType type) {
    RelDataTypeSystem ts = rexBuilder.getTypeFactory().getTypeSystem();
    ZoneId z = isZoned(argType) || isZoned(type) ? zoneOf("date_trunc of a timestamp with time zone")
        : ZoneOffset.UTC;
    return strict1(a, x -> Casts.cast(DateTimes.trunc(unit, x, z), type, ts, z));
  }

  /** date_trunc('unit', t) (PostgreSQL) or DATE_TRUNC(t, UNIT) (Calcite library form). */
  private Scalar dateTrunc(RexCall call) {
    List<RexNode> ops = call.getOperands();
    String unit;
    RexNode arg;
    if (ops.get(0) instanceof RexLiteral l0 && literalValue(l0) instanceof String s) {
      unit = s.toUpperCase(Locale.ROOT);
      arg = ops.get(1);
    } else if (ops.get(1) instanceof RexLiteral l1) {
      Object v = literalValue(l1);
      unit = (v instanceof TimeUnitRange r ? r.startUnit.name() : String.valueOf(v)).toUpperCase(Locale.ROOT);
      arg = ops.get(0);
    } else {
      throw new UnsupportedConstructException("date_trunc with a non-constant unit");
    }
    DateTimes.checkTrunc(unit);
    return truncation(unit, compile(arg), arg.getType(), call.getType());
  }

  /** Compiles several expressions into one row-producing function (a projection). */
  public java.util.function.Function<Row, Row> compileProjection(List<? extends RexNode> exprs) {
    List<Scalar> list = new ArrayList<>(exprs.size());
    boolean allRefs = true;
    int[] refs = new int[exprs.size()];
    for (int i = 0; i < exprs.size(); i++) {
      RexNode e = exprs.get(i);
      if (isInterval(e)) {
        throw new UnsupportedConstructException("a column of type interval (such as age(…) or a difference of"
            + " timestamps) in a view's rows; extract a field of it instead, e.g. extract(year from age(a, b))");
      }
      list.add(compile(e));
      if (e instanceof RexInputRef r) {
        refs[i] = r.getIndex();
      } else {
        allRefs = false;
      }
    }
    if (allRefs) {
      return row -> row.project(refs); // plain column pruning/reordering: no per-column lambda calls
    }
    Scalar[] s = list.toArray(new Scalar[0]);
    return row -> {
      Object[] out = new Object[s.length];
      for (int i = 0; i < s.length; i++) {
        out[i] = s[i].eval(row);
      }
      return Row.wrap(out);
    };
  }
}
