package io.deltaview.engine.view;

import io.deltaview.engine.expr.TextCase;
import io.deltaview.sql.SqlStates;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.RelVisitor;
import org.apache.calcite.rel.core.Aggregate;
import org.apache.calcite.rel.core.AggregateCall;
import org.apache.calcite.rel.core.Sort;
import org.apache.calcite.rel.RelFieldCollation;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexFieldCollation;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexOver;
import org.apache.calcite.rex.RexShuttle;
import org.apache.calcite.rex.RexVisitor;
import org.apache.calcite.rex.RexSubQuery;
import org.apache.calcite.rex.RexVisitorImpl;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.type.SqlTypeUtil;
import org.apache.calcite.util.Sarg;

/**
 * Text ordering in a view and the collations it runs under. The engine compares text by code point, which is
 * what PostgreSQL does under the {@code C}, {@code POSIX}, {@code C.UTF-8} and {@code ucs_basic} collations and
 * under no other: in {@code en_US.UTF-8} {@code 'ann' < 'Eve'}, by code point the reverse. So a view that orders
 * text (MIN/MAX of text, {@code <}, {@code >}, BETWEEN or GREATEST/LEAST of text, text sort keys) is accepted
 * only when every text column it reads, and the database's default, collate by code point; otherwise it is
 * refused with {@code 0A000} naming the collation, never maintained with a different answer. A column with a
 * nondeterministic collation (where {@code 'a' = 'A'} may hold) is refused whatever the view does with it:
 * equality, grouping and joins would differ too.
 *
 * <p>Changing case ({@code upper}, {@code lower}, {@code ILIKE}, {@code ~*}) follows the ctype: see {@link
 * #textCase}.
 */
final class TextCollations {

  private static final Set<String> CODE_POINT = Set.of("c", "posix", "c.utf-8", "c.utf8", "ucs_basic", "pg_c_utf8");

  private TextCollations() {
  }

  /** Refuses the view if it orders text under a collation that is not code-point order, or reads a nondeterministic one. */
  static void check(Connection connection, RelNode plan, java.util.List<TableShape> sources) throws SQLException {
    String ordering = textOrdering(plan);
    for (TableShape source : sources) {
      try (PreparedStatement ps = connection.prepareStatement("SELECT a.attname, co.collname, co.collprovider,"
          + " co.collcollate, to_jsonb(co) ->> 'collisdeterministic' FROM pg_catalog.pg_attribute a"
          + " JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation"
          + " WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped")) {
        ps.setLong(1, source.oid());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            int column = source.columnNames().indexOf(rs.getString(1));
            if (column < 0 || !source.read().get(column)) {
              continue;
            }
            String where = "column " + source.schema() + "." + source.name() + "." + rs.getString(1);
            if ("false".equals(rs.getString(5))) {
              throw refused(where + " has the nondeterministic collation \"" + rs.getString(2) + "\", under which"
                  + " equal text need not be the same text");
            }
            if (ordering == null || rs.getString(2).equals("default")) {
              continue;
            }
            if (!codePoint(rs.getString(2)) && !("c".equals(rs.getString(3)) && codePoint(rs.getString(4)))) {
              throw refused(ordering + " of " + where + ", whose collation \"" + rs.getString(2)
                  + "\" does not order text by code point as incremental views do");
            }
          }
        }
      }
    }
    if (ordering != null) {
      String defaultCollation = defaultCollation(connection);
      if (defaultCollation != null) {
        throw refused(ordering + " under the database's collation \"" + defaultCollation
            + "\", which does not order text by code point as incremental views do (C, POSIX, C.UTF-8 and"
            + " ucs_basic do)");
      }
    }
  }

  /**
   * The case mappings a view's {@code upper}, {@code lower}, {@code ILIKE} and case-insensitive regular
   * expressions run by: those of the ctype of the text they read, the database's LC_CTYPE for columns of the
   * default collation (and when the view reads no text column), a column collation's own otherwise. The C and
   * POSIX ctypes change the case of ASCII letters only, C.UTF-8 of every letter one character for another
   * ({@link TextCase}). Any other ctype, an ICU collation or the builtin provider's other locales, or text read
   * under ctypes of both kinds, is refused with {@code 0A000} naming the construct and the ctype, when the view
   * changes case at all; otherwise the answer does not depend on it.
   */
  static TextCase textCase(Connection connection, RelNode plan, java.util.List<TableShape> sources)
      throws SQLException {
    String construct = caseChange(plan);
    if (construct == null) {
      return TextCase.UNICODE;
    }
    // the first text met under each kind of case mapping, described for a refusal
    Map<TextCase, String> seen = new LinkedHashMap<>();
    // the collation to ask the server about Unicode mappings under: null for the database's default
    String unicodeCollation = null;
    String[] database = null;
    for (TableShape source : sources) {
      try (PreparedStatement ps = connection.prepareStatement("SELECT a.attname, co.collname, co.collprovider,"
          + " co.collctype, coalesce(to_jsonb(co) ->> 'colllocale', to_jsonb(co) ->> 'colliculocale', co.collcollate)"
          + " FROM pg_catalog.pg_attribute a"
          + " JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation"
          + " WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped")) {
        ps.setLong(1, source.oid());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            int column = source.columnNames().indexOf(rs.getString(1));
            if (column < 0 || !source.read().get(column)) {
              continue;
            }
            String where = "column " + source.schema() + "." + source.name() + "." + rs.getString(1);
            String[] ctype;
            if ("d".equals(rs.getString(3))) {
              database = database == null ? databaseCtype(connection) : database;
              ctype = database;
            } else {
              ctype = new String[] {rs.getString(3), "c".equals(rs.getString(3)) ? rs.getString(4) : rs.getString(5)};
            }
            TextCase kind = caseOf(ctype, construct, where);
            if (kind == TextCase.UNICODE && !seen.containsKey(kind) && !"d".equals(rs.getString(3))) {
              unicodeCollation = rs.getString(2);
            }
            seen.putIfAbsent(kind, "the " + describe(ctype) + " (" + where + ")");
          }
        }
      }
    }
    if (seen.isEmpty()) {
      database = database == null ? databaseCtype(connection) : database;
      seen.put(caseOf(database, construct, "the database's default"), "the database's default");
    }
    if (seen.size() > 1) {
      // PostgreSQL picks each expression's collation; one set of mappings for the whole view cannot follow it
      throw caseRefused(construct + " in a view that reads text under " + String.join(" and under ", seen.values())
          + ", whose case mappings differ");
    }
    TextCase kind = seen.keySet().iterator().next();
    return kind == TextCase.UNICODE ? serverUnicode(connection, unicodeCollation) : kind;
  }

  /**
   * Unicode case mappings as the server's C library has them under {@code collation} (null: the database's
   * default): Java's, corrected where the server maps a code point otherwise. Asked of the server because the
   * two follow their own Unicode versions ({@link TextCase#unicode}).
   */
  private static TextCase serverUnicode(Connection connection, String collation) throws SQLException {
    String c = collation == null ? "chr(i)" : "chr(i) COLLATE " + io.deltaview.sql.SqlIdentifiers.quote(collation);
    int[] probe = TextCase.unicodeProbe();
    Integer[] boxed = new Integer[probe.length];
    for (int i = 0; i < probe.length; i++) {
      boxed[i] = probe[i];
    }
    Map<Integer, Integer> serverUpper = new java.util.HashMap<>();
    Map<Integer, Integer> serverLower = new java.util.HashMap<>();
    try (PreparedStatement ps = connection.prepareStatement("SELECT i, ascii(upper(" + c + ")), ascii(lower(" + c
        + ")) FROM unnest(?::int[]) AS i WHERE upper(" + c + ") <> chr(i) OR lower(" + c + ") <> chr(i)")) {
      ps.setArray(1, connection.createArrayOf("integer", boxed));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          serverUpper.put(rs.getInt(1), rs.getInt(2));
          serverLower.put(rs.getInt(1), rs.getInt(3));
        }
      }
    }
    Map<Integer, Integer> upperExceptions = new java.util.HashMap<>();
    Map<Integer, Integer> lowerExceptions = new java.util.HashMap<>();
    for (int cp : probe) {
      int upper = serverUpper.getOrDefault(cp, cp);
      int lower = serverLower.getOrDefault(cp, cp);
      if (upper != Character.toUpperCase(cp)) {
        upperExceptions.put(cp, upper);
      }
      if (lower != Character.toLowerCase(cp)) {
        lowerExceptions.put(cp, lower);
      }
    }
    return TextCase.unicode(upperExceptions, lowerExceptions);
  }

  /** {provider, ctype or locale} of the database's default collation. */
  private static String[] databaseCtype(Connection connection) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement("SELECT j ->> 'datctype', j ->> 'datlocprovider',"
        + " coalesce(j ->> 'datlocale', j ->> 'daticulocale') FROM (SELECT to_jsonb(d) AS j"
        + " FROM pg_catalog.pg_database d WHERE d.datname = current_database()) x");
         ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        return new String[] {"?", "unknown"};
      }
      String provider = rs.getString(2) == null ? "c" : rs.getString(2);
      return new String[] {provider, provider.equals("c") ? rs.getString(1) : rs.getString(3)};
    }
  }

  private static String describe(String[] ctype) {
    return switch (ctype[0]) {
      case "c" -> "ctype \"" + ctype[1] + "\"";
      case "i" -> "ICU locale \"" + ctype[1] + "\"";
      case "b" -> "builtin locale \"" + ctype[1] + "\"";
      default -> "locale \"" + ctype[1] + "\" (provider " + ctype[0] + ")";
    };
  }

  /**
   * The case mappings of {@code ctype} ({provider, name}), or a refusal of {@code construct} under it. Only libc
   * (and, from PostgreSQL 17, builtin) C and POSIX, whose case mappings are ASCII's, and C.UTF-8, whose are
   * Unicode's simple ones, are reproduced; ICU's are full mappings ({@code upper('ß')} is {@code SS}) and other
   * libc locales may change them (Turkish {@code i}).
   */
  private static TextCase caseOf(String[] ctype, String construct, String where) throws SQLException {
    String name = ctype[1] == null ? "" : ctype[1];
    if (ctype[0].equals("c") || ctype[0].equals("b")) {
      switch (name) {
        case "C", "POSIX" -> {
          return TextCase.ASCII;
        }
        case "C.UTF-8", "C.utf8" -> {
          return TextCase.UNICODE;
        }
        default -> {
        }
      }
    }
    throw caseRefused(construct + " under the " + describe(ctype) + " (" + where + "), whose case mappings"
        + " incremental views do not reproduce (they do those of the C, POSIX and C.UTF-8 ctypes)");
  }

  private static SQLException caseRefused(String why) {
    return new SQLException("Deltaview cannot maintain this view yet: it changes the case of text by rules it"
        + " does not reproduce: " + why, SqlStates.FEATURE_NOT_SUPPORTED);
  }

  /** The first construct of {@code plan} that changes the case of text, in SQL terms; null if none does. */
  static String caseChange(RelNode plan) {
    String[] found = {null};
    RexVisitorImpl<Void> visitor = new RexVisitorImpl<>(true) {
      @Override
      public Void visitCall(RexCall call) {
        if (found[0] == null) {
          found[0] = caseChange(call);
        }
        return found[0] == null ? super.visitCall(call) : null;
      }

      @Override
      public Void visitSubQuery(RexSubQuery subQuery) {
        if (found[0] == null) {
          found[0] = caseChange(subQuery.rel);
        }
        return found[0] == null ? super.visitSubQuery(subQuery) : null;
      }
    };
    new RelVisitor() {
      @Override
      public void visit(RelNode node, int ordinal, RelNode parent) {
        if (found[0] != null) {
          return;
        }
        visitExpressions(node, visitor);
        if (found[0] == null) {
          super.visit(node, ordinal, parent);
        }
      }
    }.go(plan);
    return found[0];
  }

  private static String caseChange(RexCall call) {
    if (call.getOperator() instanceof org.apache.calcite.sql.fun.SqlLikeOperator like && !like.isCaseSensitive()) {
      return like.isNegated() ? "NOT ILIKE" : "ILIKE";
    }
    String name = call.getOperator().getName().toUpperCase(Locale.ROOT);
    return switch (name) {
      case "UPPER", "LOWER", "INITCAP" -> name.toLowerCase(Locale.ROOT);
      case "POSIX REGEX CASE INSENSITIVE" -> "~*";
      case "NEGATED POSIX REGEX CASE INSENSITIVE" -> "!~*";
      case "REGEXP_REPLACE" -> call.getOperands().size() == 4 && call.getOperands().get(3) instanceof RexLiteral l
          && String.valueOf(l.getValueAs(String.class)).contains("i") ? "regexp_replace with flag i" : null;
      default -> null;
    };
  }

  private static SQLException refused(String why) {
    return new SQLException("Deltaview cannot maintain this view yet: it orders or compares text by a collation it"
        + " does not reproduce: " + why, SqlStates.FEATURE_NOT_SUPPORTED);
  }

  static boolean codePoint(String collation) {
    return collation != null && CODE_POINT.contains(collation.toLowerCase(Locale.ROOT));
  }

  /** The database's default collation when it does not order by code point, else null. */
  private static String defaultCollation(Connection connection) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement("SELECT j ->> 'datcollate', j ->> 'datlocprovider',"
        + " coalesce(j ->> 'datlocale', j ->> 'daticulocale') FROM (SELECT to_jsonb(d) AS j"
        + " FROM pg_catalog.pg_database d WHERE d.datname = current_database()) x");
         ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        return "unknown";
      }
      String provider = rs.getString(2);
      if (provider == null || provider.equals("c")) {
        return codePoint(rs.getString(1)) ? null : rs.getString(1);
      }
      // ICU ("i") never orders by code point; the builtin provider ("b") does for C and C.UTF-8
      String locale = rs.getString(3);
      return provider.equals("b") && codePoint(locale) ? null : locale + " (" + (provider.equals("i") ? "ICU" : provider) + ")";
    }
  }

  /** The first construct of {@code plan} that orders text, in SQL terms; null if none does. */
  static String textOrdering(RelNode plan) {
    String[] found = {null};
    new RelVisitor() {
      @Override
      public void visit(RelNode node, int ordinal, RelNode parent) {
        if (found[0] != null) {
          return;
        }
        found[0] = inNode(node);
        if (found[0] == null) {
          super.visit(node, ordinal, parent);
        }
      }
    }.go(plan);
    return found[0];
  }

  private static String inNode(RelNode node) {
    if (node instanceof Aggregate a) {
      for (AggregateCall call : a.getAggCallList()) {
        if ((call.getAggregation().getKind() == SqlKind.MIN || call.getAggregation().getKind() == SqlKind.MAX)
            && call.getArgList().size() == 1 && text(a.getInput().getRowType().getFieldList()
                .get(call.getArgList().get(0)).getType())) {
          return call.getAggregation().getName() + " of text";
        }
        for (RelFieldCollation c : call.getCollation().getFieldCollations()) {
          if (text(a.getInput().getRowType().getFieldList().get(c.getFieldIndex()).getType())) {
            return call.getAggregation().getName() + "(… ORDER BY text)";
          }
        }
      }
    }
    if (node instanceof Sort s) {
      for (RelFieldCollation c : s.getCollation().getFieldCollations()) {
        if (text(s.getRowType().getFieldList().get(c.getFieldIndex()).getType())) {
          return "ORDER BY text";
        }
      }
    }
    String[] found = {null};
    RexVisitorImpl<Void> visitor = new RexVisitorImpl<>(true) {
      @Override
      public Void visitCall(RexCall call) {
        if (found[0] == null) {
          found[0] = inCall(call);
        }
        return found[0] == null ? super.visitCall(call) : null;
      }

      @Override
      public Void visitOver(RexOver over) {
        if (found[0] == null && (over.getOperator().getKind() == SqlKind.MIN
            || over.getOperator().getKind() == SqlKind.MAX) && over.getOperands().size() == 1
            && text(over.getOperands().get(0).getType())) {
          found[0] = over.getOperator().getName() + " of text";
        }
        for (RexFieldCollation c : over.getWindow().orderKeys) {
          if (found[0] == null && text(c.left.getType())) {
            found[0] = "a window ordered by text";
          }
        }
        return found[0] == null ? super.visitOver(over) : null;
      }

      @Override
      public Void visitSubQuery(RexSubQuery subQuery) {
        if (found[0] == null) {
          found[0] = textOrdering(subQuery.rel);
        }
        return found[0] == null ? super.visitSubQuery(subQuery) : null;
      }
    };
    // A node hands its expressions to a shuttle (filter and join conditions, projections, correlations): each
    // top-level expression is searched by the visitor and left as it is.
    visitExpressions(node, visitor);
    return found[0];
  }

  private static String inCall(RexCall call) {
    switch (call.getKind()) {
      case LESS_THAN, LESS_THAN_OR_EQUAL, GREATER_THAN, GREATER_THAN_OR_EQUAL, BETWEEN, GREATEST, LEAST -> {
        for (RexNode operand : call.getOperands()) {
          if (text(operand.getType())) {
            return "a " + call.getOperator().getName() + " comparison of text";
          }
        }
      }
      case SEARCH -> {
        if (text(call.getOperands().get(0).getType()) && call.getOperands().get(1) instanceof RexLiteral l) {
          Sarg<?> sarg = l.getValueAs(Sarg.class);
          if (sarg != null && !sarg.isPoints() && !sarg.isComplementedPoints()) {
            return "a range of text";
          }
        }
      }
      default -> {
        String name = call.getOperator().getName();
        if ((name.equalsIgnoreCase("GREATEST") || name.equalsIgnoreCase("LEAST"))
            && call.getOperands().stream().anyMatch(o -> text(o.getType()))) {
          return name + " of text";
        }
      }
    }
    return null;
  }

  private static boolean text(RelDataType type) {
    return SqlTypeUtil.inCharFamily(type);
  }

  /**
   * Hands each top-level expression of {@code node} (filter and join conditions, projections, correlations) to
   * {@code visitor}, which searches it; the node is left as it is.
   */
  private static void visitExpressions(RelNode node, RexVisitor<?> visitor) {
    node.accept(new RexShuttle() {
      @Override
      public RexNode visitCall(RexCall call) {
        call.accept(visitor);
        return call;
      }

      @Override
      public RexNode visitOver(RexOver over) {
        over.accept(visitor);
        return over;
      }

      @Override
      public RexNode visitSubQuery(RexSubQuery subQuery) {
        subQuery.accept(visitor);
        return subQuery;
      }
    });
  }
}
