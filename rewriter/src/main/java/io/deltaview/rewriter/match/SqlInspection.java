package io.deltaview.rewriter.match;

import java.util.Locale;
import java.util.Set;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlDynamicParam;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlOperator;
import org.apache.calcite.sql.util.SqlBasicVisitor;

/**
 * Facts read off a parse tree before validation: JDBC parameter count, the first volatile function, sampled
 * tables.
 */
public final class SqlInspection {
  private SqlInspection() {}

  /**
   * Functions whose value changes between calls or statements. Results computed from them are never
   * served from a result table (the brief says pass through, even where re-evaluating would be correct).
   */
  private static final Set<String> VOLATILE = Set.of("now", "random", "setseed", "clock_timestamp",
      "statement_timestamp", "transaction_timestamp", "timeofday", "nextval", "currval", "lastval",
      "setval", "gen_random_uuid", "uuid_generate_v4", "current_timestamp", "current_date", "current_time",
      "localtime", "localtimestamp", "txid_current", "pg_sleep", "current_user", "session_user", "user",
      "current_setting", "pg_backend_pid", "inet_client_addr");

  public static int parameterCount(SqlNode node) {
    int[] count = {0};
    node.accept(new SqlBasicVisitor<Void>() {
      @Override
      public Void visit(SqlDynamicParam param) {
        count[0]++;
        return null;
      }
    });
    return count[0];
  }

  /**
   * Whether a table is sampled ({@code TABLESAMPLE}): which rows a sample holds depends on how the table is
   * stored, so no result table can answer it.
   */
  static boolean samplesATable(SqlNode node) {
    boolean[] found = {false};
    node.accept(new SqlBasicVisitor<Void>() {
      @Override
      public Void visit(SqlCall call) {
        found[0] |= call.getKind() == SqlKind.TABLESAMPLE;
        return super.visit(call);
      }
    });
    return found[0];
  }

  /** Name of the first volatile or non-deterministic function used, or null. */
  static String volatileFunction(SqlNode node) {
    String[] found = {null};
    node.accept(new SqlBasicVisitor<Void>() {
      @Override
      public Void visit(SqlCall call) {
        SqlOperator op = call.getOperator();
        String name = op.getName().toLowerCase(Locale.ROOT);
        if (found[0] == null && (VOLATILE.contains(name) || !op.isDeterministic() || op.isDynamicFunction())) {
          found[0] = name;
        }
        return super.visit(call);
      }

      @Override
      public Void visit(SqlIdentifier id) {
        // The Babel parser reads CURRENT_TIMESTAMP and friends as identifiers, in whatever case they were
        // written; a quoted one ("current_date") is a column.
        if (found[0] == null && id.isSimple() && VOLATILE.contains(id.getSimple().toLowerCase(Locale.ROOT))
            && !id.isComponentQuoted(0)) {
          found[0] = id.getSimple().toLowerCase(Locale.ROOT);
        }
        return null;
      }
    });
    return found[0];
  }
}
