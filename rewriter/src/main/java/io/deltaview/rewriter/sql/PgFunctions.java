package io.deltaview.rewriter.sql;

import java.util.List;
import java.util.stream.Stream;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.sql.SqlBasicCall;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlFunction;
import org.apache.calcite.sql.SqlFunctionCategory;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlNodeList;
import org.apache.calcite.sql.parser.SqlParserPos;
import org.apache.calcite.sql.SqlOperator;
import org.apache.calcite.sql.SqlOperatorTable;
import org.apache.calcite.sql.SqlSyntax;
import org.apache.calcite.sql.fun.SqlLibrary;
import org.apache.calcite.sql.fun.SqlLibraryOperatorTableFactory;
import org.apache.calcite.sql.type.OperandTypes;
import org.apache.calcite.sql.type.ReturnTypes;
import org.apache.calcite.sql.type.SqlTypeFamily;
import org.apache.calcite.sql.type.SqlTypeName;
import org.apache.calcite.sql.util.SqlOperatorTables;
import org.apache.calcite.sql.util.SqlShuttle;
import org.apache.calcite.sql.validate.SqlNameMatcher;
import org.apache.calcite.sql.validate.SqlNameMatchers;

/**
 * PostgreSQL functions whose Calcite counterparts are missing or have a different signature, and Calcite's
 * PostgreSQL function library made visible to PostgreSQL's lower-case names.
 */
final class PgFunctions {
  private PgFunctions() {}

  /**
   * PostgreSQL's {@code date_trunc(text, timestamp[tz])}: returns the type of its second argument
   * ({@code date} arguments are promoted to {@code timestamp with time zone}, as PostgreSQL does).
   * Calcite's own DATE_TRUNC is BigQuery's {@code (date, unit)}, so the parser's call is replaced by this one.
   */
  static final SqlFunction DATE_TRUNC = new SqlFunction("date_trunc", SqlKind.OTHER_FUNCTION,
      opBinding -> {
        RelDataTypeFactory f = opBinding.getTypeFactory();
        RelDataType arg = opBinding.getOperandType(1);
        RelDataType t = arg.getSqlTypeName() == SqlTypeName.DATE
            ? f.createSqlType(SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE) : arg;
        return f.createTypeWithNullability(t,
            arg.isNullable() || opBinding.getOperandType(0).isNullable());
      },
      null,
      OperandTypes.family(SqlTypeFamily.CHARACTER, SqlTypeFamily.DATETIME),
      SqlFunctionCategory.TIMEDATE);

  /**
   * PostgreSQL's volatile/stable niladic functions, declared so that queries using them validate (the
   * rewriter must still see their tables) and flagged non-deterministic so that nobody caches or
   * materialises their value.
   */
  static final List<SqlFunction> VOLATILE_FUNCTIONS = List.of(
      volatileFunction("now", SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE),
      volatileFunction("clock_timestamp", SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE),
      volatileFunction("statement_timestamp", SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE),
      volatileFunction("transaction_timestamp", SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE),
      volatileFunction("random", SqlTypeName.DOUBLE));

  /** PostgreSQL's {@code make_date(year int, month int, day int)}. */
  static final SqlFunction MAKE_DATE = new SqlFunction("make_date", SqlKind.OTHER_FUNCTION,
      ReturnTypes.DATE_NULLABLE, null,
      OperandTypes.family(SqlTypeFamily.INTEGER, SqlTypeFamily.INTEGER, SqlTypeFamily.INTEGER),
      SqlFunctionCategory.TIMEDATE);

  /**
   * PostgreSQL's {@code trunc(numeric [, int])} and {@code trunc(double precision)} (Calcite's own is
   * {@code TRUNCATE}); typed as its first argument, the evaluator returns PostgreSQL's value type.
   */
  static final SqlFunction TRUNC = new SqlFunction("trunc", SqlKind.OTHER_FUNCTION,
      ReturnTypes.ARG0_NULLABLE, null,
      OperandTypes.or(OperandTypes.NUMERIC, OperandTypes.NUMERIC_INTEGER),
      SqlFunctionCategory.NUMERIC);

  /**
   * PostgreSQL's {@code regexp_match(text, text [, text])}, declared so that a view using it is refused as
   * returning an array (which result rows cannot hold) rather than as an unknown function.
   */
  static final SqlFunction REGEXP_MATCH = new SqlFunction("regexp_match", SqlKind.OTHER_FUNCTION,
      opBinding -> opBinding.getTypeFactory().createTypeWithNullability(
          opBinding.getTypeFactory().createArrayType(
              opBinding.getTypeFactory().createSqlType(SqlTypeName.VARCHAR), -1), true),
      null,
      OperandTypes.or(OperandTypes.STRING_STRING, OperandTypes.STRING_STRING_STRING),
      SqlFunctionCategory.STRING);

  /**
   * Calcite's PostgreSQL function library ({@code left}, {@code split_part}, {@code greatest}, {@code to_char},
   * …), looked up case-insensitively: the library registers upper-case names, while PostgreSQL's parser folds
   * unquoted names to lower case and the validator matches names case-sensitively.
   */
  static final SqlOperatorTable POSTGRESQL_LIBRARY = caseInsensitive(
      SqlLibraryOperatorTableFactory.INSTANCE.getOperatorTable(SqlLibrary.POSTGRESQL));

  private static SqlOperatorTable caseInsensitive(SqlOperatorTable table) {
    return new SqlOperatorTable() {
      @Override
      public void lookupOperatorOverloads(SqlIdentifier opName, SqlFunctionCategory category, SqlSyntax syntax,
          List<SqlOperator> operatorList, SqlNameMatcher nameMatcher) {
        table.lookupOperatorOverloads(opName, category, syntax, operatorList,
            SqlNameMatchers.withCaseSensitive(false));
      }

      @Override
      public List<SqlOperator> getOperatorList() {
        return table.getOperatorList();
      }
    };
  }

  /** PostgreSQL's {@code to_char} of a date/time or a number (Calcite's takes only timestamps). */
  static final SqlFunction TO_CHAR = new SqlFunction("to_char", SqlKind.OTHER_FUNCTION,
      ReturnTypes.VARCHAR_NULLABLE, null,
      OperandTypes.or(OperandTypes.family(SqlTypeFamily.DATETIME, SqlTypeFamily.CHARACTER),
          OperandTypes.family(SqlTypeFamily.NUMERIC, SqlTypeFamily.CHARACTER)),
      SqlFunctionCategory.STRING);

  /**
   * PostgreSQL's {@code age(timestamp [, timestamp])}, an interval (Calcite's is typed as text). Typed ANY:
   * none of Calcite's interval types holds years and seconds at once, and each would refuse to
   * {@code extract} half of PostgreSQL's fields from it.
   */
  static final SqlFunction AGE = new SqlFunction("age", SqlKind.OTHER_FUNCTION,
      opBinding -> {
        RelDataTypeFactory f = opBinding.getTypeFactory();
        boolean nullable = false;
        for (int i = 0; i < opBinding.getOperandCount(); i++) {
          nullable |= opBinding.getOperandType(i).isNullable();
        }
        return f.createTypeWithNullability(f.createSqlType(SqlTypeName.ANY), nullable);
      },
      null,
      OperandTypes.or(OperandTypes.DATETIME, OperandTypes.family(SqlTypeFamily.DATETIME, SqlTypeFamily.DATETIME)),
      SqlFunctionCategory.TIMEDATE);

  /**
   * {@code EXTRACT} and {@code date_part} that also take the value of {@link #AGE} (typed ANY), from which
   * PostgreSQL extracts any of its interval fields; otherwise Calcite's.
   */
  static final SqlFunction EXTRACT = extractOf("EXTRACT", false);
  static final SqlFunction DATE_PART = extractOf("DATE_PART", true);

  private static SqlFunction extractOf(String name, boolean datePart) {
    return new org.apache.calcite.sql.fun.SqlExtractFunction(name, datePart) {
      @Override
      public boolean checkOperandTypes(org.apache.calcite.sql.SqlCallBinding binding, boolean throwOnFailure) {
        return binding.getOperandType(1).getSqlTypeName() == SqlTypeName.ANY
            || super.checkOperandTypes(binding, throwOnFailure);
      }

      @Override
      public void validateCall(SqlCall call, org.apache.calcite.sql.validate.SqlValidator validator,
          org.apache.calcite.sql.validate.SqlValidatorScope scope,
          org.apache.calcite.sql.validate.SqlValidatorScope operandScope) {
        SqlNode value = call.operand(1);
        // date_part's field is text: PostgreSQL's names ('milliseconds', 'julian', …) are not Calcite's time
        // frames; the evaluator maps them and refuses what it does not know
        if (value instanceof SqlCall c && c.getOperator() == AGE
            || datePart && call.operand(0) instanceof org.apache.calcite.sql.SqlCharStringLiteral) {
          for (SqlNode operand : call.getOperandList()) {
            operand.validateExpr(validator, operandScope);
          }
          return;
        }
        super.validateCall(call, validator, scope, operandScope);
      }

      @Override
      public org.apache.calcite.sql.validate.SqlMonotonicity getMonotonicity(
          org.apache.calcite.sql.SqlOperatorBinding call) {
        // Calcite's would parse date_part's text field as one of its own units
        return datePart ? org.apache.calcite.sql.validate.SqlMonotonicity.NOT_MONOTONIC : super.getMonotonicity(call);
      }

      @Override
      public void unparse(org.apache.calcite.sql.SqlWriter writer, SqlCall call, int leftPrec, int rightPrec) {
        if (datePart) {
          // date_part('year', x), as PostgreSQL spells it (Calcite's writes date_part('year' FROM x))
          org.apache.calcite.sql.SqlUtil.unparseFunctionSyntax(this, writer, call, false);
        } else {
          super.unparse(writer, call, leftPrec, rightPrec);
        }
      }
    };
  }

  /** PostgreSQL's {@code btrim}, {@code ltrim}, {@code rtrim} with an optional set of characters. */
  static final List<SqlFunction> TRIMS = Stream.of("btrim", "ltrim", "rtrim")
      .map(name -> new SqlFunction(name, SqlKind.OTHER_FUNCTION, ReturnTypes.ARG0_NULLABLE_VARYING, null,
          OperandTypes.or(OperandTypes.STRING, OperandTypes.STRING_STRING), SqlFunctionCategory.STRING))
      .toList();

  /** The functions and operators above, ahead of Calcite's in the validator's operator table. */
  static final SqlOperatorTable TABLE = SqlOperatorTables.of(Stream.of(
          Stream.of(DATE_TRUNC, MAKE_DATE, TRUNC, REGEXP_MATCH, TO_CHAR, AGE, EXTRACT, DATE_PART,
              PgArithmetic.PLUS, PgArithmetic.MINUS),
          TRIMS.stream(), VOLATILE_FUNCTIONS.stream())
      .flatMap(s -> s).toList());

  private static SqlFunction volatileFunction(String name, SqlTypeName returnType) {
    return new SqlFunction(name, SqlKind.OTHER_FUNCTION,
        org.apache.calcite.sql.type.ReturnTypes.explicit(returnType), null, OperandTypes.NILADIC,
        SqlFunctionCategory.SYSTEM) {
      @Override
      public boolean isDeterministic() {
        return false;
      }

      @Override
      public boolean isDynamicFunction() {
        return true;
      }
    };
  }

  /** PostgreSQL type names Calcite does not know, mapped to the Calcite type {@code PgType} gives them. */
  private static final java.util.Map<String, SqlTypeName> PG_TYPE_NAMES = java.util.Map.ofEntries(
      java.util.Map.entry("text", SqlTypeName.VARCHAR), java.util.Map.entry("int2", SqlTypeName.SMALLINT),
      java.util.Map.entry("int4", SqlTypeName.INTEGER), java.util.Map.entry("int8", SqlTypeName.BIGINT),
      java.util.Map.entry("float4", SqlTypeName.REAL), java.util.Map.entry("float8", SqlTypeName.DOUBLE),
      java.util.Map.entry("bool", SqlTypeName.BOOLEAN), java.util.Map.entry("numeric", SqlTypeName.DECIMAL),
      java.util.Map.entry("timestamptz", SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE));

  /**
   * A cast to a PostgreSQL type the front end has no Calcite type for, or values whose PostgreSQL type Calcite
   * would not reproduce.
   */
  static final class UnsupportedTypeException extends RuntimeException {
    UnsupportedTypeException(String typeName) {
      this("CAST to type " + typeName + " is not supported", false);
    }

    UnsupportedTypeException(String message, boolean ignored) {
      super(message, null, false, false);
    }
  }

  /**
   * A VALUES list whose numbers Calcite would change, made exact or refused. Calcite gives a column of literals
   * of different scales the widest scale ({@code VALUES (1), (2.5)} would hold 1.0) and folds a cast inside a row
   * to its own numeric type ({@code CAST(2.5 AS numeric)} would become 2), while PostgreSQL types such a column as
   * numeric and keeps each value as written. With {@code exact}, each number of such a column becomes {@code
   * CAST(x AS numeric) + 0}: not a literal, so Calcite does not fold it, and of unconstrained numeric, which keeps
   * x's scale (only the view compiler evaluates this: PostgreSQL never sees it); without, the list is refused.
   * A cast to numeric inside a row is refused either way.
   */
  static SqlCall valuesNumbers(SqlCall values, boolean exact) {
    java.util.Map<Integer, java.util.Set<Integer>> scales = new java.util.HashMap<>();
    for (SqlNode row : values.getOperandList()) {
      if (!(row instanceof SqlCall r) || r.getKind() != SqlKind.ROW) {
        continue;
      }
      for (int i = 0; i < r.operandCount(); i++) {
        SqlNode item = r.operand(i);
        if (exactNumber(item) instanceof org.apache.calcite.sql.SqlNumericLiteral n) {
          scales.computeIfAbsent(i, k -> new java.util.HashSet<>()).add(n.getScale() == null ? 0 : n.getScale());
        } else if (item instanceof SqlCall cast && cast.getKind() == SqlKind.CAST
            && cast.operand(1) instanceof org.apache.calcite.sql.SqlDataTypeSpec type
            && type.getTypeNameSpec() instanceof org.apache.calcite.sql.SqlBasicTypeNameSpec basic
            && basic.getTypeName().getSimple().equalsIgnoreCase("DECIMAL")) {
          throw new UnsupportedTypeException("Deltaview cannot maintain this view yet: a cast to numeric inside"
              + " VALUES (Calcite folds it to a value PostgreSQL does not give; write the number itself)", false);
        }
      }
    }
    java.util.Set<Integer> mixed = new java.util.HashSet<>();
    scales.forEach((column, s) -> {
      if (s.size() > 1) {
        mixed.add(column);
      }
    });
    if (mixed.isEmpty()) {
      return values;
    }
    if (!exact) {
      throw new UnsupportedTypeException("VALUES column " + (mixed.iterator().next() + 1) + " of numbers written"
          + " with different numbers of decimal places", false);
    }
    List<SqlNode> rows = new java.util.ArrayList<>();
    for (SqlNode row : values.getOperandList()) {
      if (!(row instanceof SqlCall r) || r.getKind() != SqlKind.ROW) {
        rows.add(row);
        continue;
      }
      List<SqlNode> items = new java.util.ArrayList<>(r.getOperandList());
      for (int i : mixed) {
        SqlNode item = items.get(i);
        if (exactNumber(item) != null) {
          SqlParserPos pos = item.getParserPosition();
          SqlNode numeric = org.apache.calcite.sql.fun.SqlStdOperatorTable.CAST.createCall(pos, item,
              new org.apache.calcite.sql.SqlDataTypeSpec(
                  new org.apache.calcite.sql.SqlBasicTypeNameSpec(SqlTypeName.DECIMAL, pos), pos));
          items.set(i, org.apache.calcite.sql.fun.SqlStdOperatorTable.PLUS.createCall(pos, numeric,
              org.apache.calcite.sql.SqlLiteral.createExactNumeric("0", pos)));
        }
      }
      rows.add(r.getOperator().createCall(r.getParserPosition(), items));
    }
    return values.getOperator().createCall(values.getParserPosition(), rows);
  }

  /** The exact numeric literal {@code item} is, possibly negated, or null. */
  private static SqlNode exactNumber(SqlNode item) {
    SqlNode n = item instanceof SqlCall minus && minus.getKind() == SqlKind.MINUS_PREFIX ? minus.operand(0) : item;
    return n instanceof org.apache.calcite.sql.SqlNumericLiteral literal && literal.isExact() ? literal : null;
  }

  /** A copy of an expression sharing no node with it (a node may appear once in what the validator sees). */
  private static final class DeepCopy extends SqlShuttle {
    @Override
    public SqlNode visit(SqlCall call) {
      List<SqlNode> operands = new java.util.ArrayList<>();
      for (SqlNode operand : call.getOperandList()) {
        operands.add(operand == null ? null : operand.accept(this));
      }
      return call.getOperator().createCall(call.getFunctionQuantifier(), call.getParserPosition(),
          operands.toArray(new SqlNode[0]));
    }

    @Override
    public SqlNode visit(SqlNodeList list) {
      List<SqlNode> copies = new java.util.ArrayList<>();
      for (SqlNode node : list) {
        copies.add(node == null ? null : node.accept(this));
      }
      return new SqlNodeList(copies, list.getParserPosition());
    }

    @Override
    public SqlNode visit(SqlIdentifier id) {
      return id.clone(id.getParserPosition());
    }

    @Override
    public SqlNode visit(org.apache.calcite.sql.SqlLiteral literal) {
      return literal.clone(literal.getParserPosition());
    }
  }

  /** Replaces parser-resolved operators and type names by their PostgreSQL versions. */
  static final class PgCallShuttle extends SqlShuttle {
    /** Whether VALUES numbers are made exact for the view compiler rather than refused (see valuesNumbers). */
    private final boolean exactValues;

    PgCallShuttle(boolean exactValues) {
      this.exactValues = exactValues;
    }

    @Override
    public SqlNode visit(org.apache.calcite.sql.SqlDataTypeSpec type) {
      if (type.getTypeNameSpec() instanceof org.apache.calcite.sql.SqlUserDefinedTypeNameSpec u
          && u.getTypeName().isSimple()) {
        SqlTypeName mapped = PG_TYPE_NAMES.get(u.getTypeName().getSimple().toLowerCase(java.util.Locale.ROOT));
        if (mapped != null) {
          return new org.apache.calcite.sql.SqlDataTypeSpec(
              new org.apache.calcite.sql.SqlBasicTypeNameSpec(mapped, type.getParserPosition()),
              type.getParserPosition());
        }
        // json, jsonb, bytea, inet, money, a domain, …: no Calcite type stands for it (the validator would
        // otherwise read the name as a column)
        throw new UnsupportedTypeException(u.getTypeName().getSimple());
      }
      return type;
    }

    @Override
    public SqlNode visit(SqlCall call) {
      if (exactValues && (call.getKind() == SqlKind.AS || call.getKind() == SqlKind.COLLECTION_TABLE)) {
        SqlNode series = GenerateSeries.replace(call);
        if (series != null) {
          return series.accept(this);
        }
      }
      SqlNode visited = super.visit(call);
      if (visited instanceof SqlCall c && c.getKind() == SqlKind.VALUES) {
        return valuesNumbers(c, exactValues);
      }
      if (visited instanceof SqlCall c && c.getKind() == SqlKind.DATE_TRUNC && c.operandCount() == 2) {
        return new SqlBasicCall(DATE_TRUNC, c.getOperandList(), c.getParserPosition());
      }
      if (visited instanceof SqlCall c && c.getKind() == SqlKind.FILTER
          && c.operand(0) instanceof SqlCall aggregate && aggregate.operandCount() > 1
          && aggregate.getOperandList().get(aggregate.operandCount() - 1) instanceof SqlNodeList) {
        // string_agg(x, ',' ORDER BY y) FILTER (WHERE f): the parser leaves the ORDER BY as the aggregate's last
        // operand, which Calcite's validator fails to type under a FILTER unless an earlier operand is nullable.
        // x becomes CASE WHEN f THEN x END, nullable and, on every row the FILTER admits, x.
        SqlParserPos pos = aggregate.getParserPosition();
        SqlNode condition = c.operand(1);
        SqlNode value = org.apache.calcite.sql.fun.SqlCase.createSwitched(pos, null,
            SqlNodeList.of(condition.accept(new DeepCopy())), SqlNodeList.of(aggregate.operand(0)),
            org.apache.calcite.sql.SqlLiteral.createNull(pos));
        List<SqlNode> arguments = new java.util.ArrayList<>(aggregate.getOperandList());
        arguments.set(0, value);
        SqlCall guarded = aggregate.getOperator().createCall(aggregate.getFunctionQuantifier(), pos,
            arguments.toArray(new SqlNode[0]));
        return c.getOperator().createCall(c.getFunctionQuantifier(), c.getParserPosition(), guarded, condition);
      }
      return visited;
    }
  }
}
