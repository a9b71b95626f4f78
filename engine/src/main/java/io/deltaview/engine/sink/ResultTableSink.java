package io.deltaview.engine.sink;

import io.deltaview.sql.SqlIdentifiers;
import io.deltaview.sql.SqlStates;
import io.deltaview.engine.operator.ZSet;
import io.deltaview.engine.row.Row;
import io.deltaview.engine.row.Values;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ObjLongConsumer;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Applies a view's output delta (a Z-set of result rows) to its result table inside the caller's open
 * transaction, so that the delta, the other views' deltas and the replication position commit together.
 *
 * <p>Views with a known unique key (group-by keys) are written by key: a changed group becomes one upsert,
 * a vanished group one delete. Views without one keep multiset semantics: {@code +n} inserts n copies,
 * {@code -n} deletes n copies.
 */
public final class ResultTableSink {

  /** undefined_function: e.g. "could not identify an equality operator for type json". */
  private static final String UNDEFINED_FUNCTION = "42883";

  private final String table;
  private final List<ResultColumn> columns;
  private final int[] key;
  private final boolean upsert;
  private final String insertSql;
  private final String upsertSql;
  /** Key columns' comparisons, by which of them the bound key has NULL ({@link NullPatterns}). */
  private final NullPatterns deleteByKey;
  /** Built on first use ({@link #deleteCopies(Connection)}); only the apply loop's thread writes views. */
  private volatile NullPatterns deleteCopies;

  /**
   * @param schema result table schema
   * @param name result table name
   * @param columns result columns in order
   * @param key unique key column indexes; empty for a single-row (whole-table aggregate) view; null if none
   * @param keyNotNull whether every key column is known to be NOT NULL (then the key is the primary key and
   *     writes are upserts; otherwise delete + insert, a NULL key value matching NULL)
   */
  public ResultTableSink(String schema, String name, List<ResultColumn> columns, int[] key, boolean keyNotNull) {
    this.table = SqlIdentifiers.quote(schema, name);
    this.columns = List.copyOf(columns);
    this.key = key == null ? null : key.clone();
    this.upsert = key != null && key.length > 0 && keyNotNull;
    StringBuilder cols = new StringBuilder();
    StringBuilder params = new StringBuilder();
    for (int i = 0; i < columns.size(); i++) {
      if (i > 0) {
        cols.append(", ");
        params.append(", ");
      }
      cols.append(SqlIdentifiers.quote(columns.get(i).name()));
      params.append(param(i));
    }
    // a view without columns (SELECT FROM …) holds only how many rows its query gives
    this.insertSql = "INSERT INTO " + table + (columns.isEmpty() ? " DEFAULT VALUES"
        : " (" + cols + ") VALUES (" + params + ")");
    if (upsert) {
      StringBuilder conflict = new StringBuilder();
      StringBuilder set = new StringBuilder();
      for (int k : key) {
        if (conflict.length() > 0) {
          conflict.append(", ");
        }
        conflict.append(SqlIdentifiers.quote(columns.get(k).name()));
      }
      for (int i = 0; i < columns.size(); i++) {
        if (contains(key, i)) {
          continue;
        }
        if (set.length() > 0) {
          set.append(", ");
        }
        String c = SqlIdentifiers.quote(columns.get(i).name());
        set.append(c).append(" = EXCLUDED.").append(c);
      }
      this.upsertSql = insertSql + " ON CONFLICT (" + conflict + ")"
          + (set.length() == 0 ? " DO NOTHING" : " DO UPDATE SET " + set);
    } else {
      this.upsertSql = null;
    }
    if (key != null) {
      String[] compared = new String[key.length];
      for (int i = 0; i < key.length; i++) {
        compared[i] = SqlIdentifiers.quote(columns.get(key[i]).name());
      }
      this.deleteByKey = new NullPatterns("DELETE FROM " + table, compared, key, "", null);
    } else {
      this.deleteByKey = null;
    }
  }

  /**
   * The statements deleting {@code n} copies of a row: every column compared with {@code =} (or {@code IS NULL}
   * for a NULL), so that the index on the result table ({@link #rowIndexColumns}) serves the lookup. Columns of
   * a type without an equality operator (json, xml, point, box, arrays of them…: PostgreSQL is asked which, on
   * first use) are compared by their text form, cast through the column type on both sides so that the stored
   * value and the bound one print alike. Columns whose equality holds between values that print differently
   * (plain numeric: {@code 2 = 2.00}; floats: {@code -0 = 0}; intervals: {@code 1 day = 24 hours}…) are compared
   * both ways: a multiset holds each spelling as its own row, and a retraction must take the copy it retracts.
   */
  private NullPatterns deleteCopies(Connection tx) throws SQLException {
    NullPatterns patterns = deleteCopies;
    if (patterns == null) {
      boolean[] byText = withoutEquality(tx);
      Comparison[] how = new Comparison[columns.size()];
      String[] compared = new String[columns.size()];
      int[] all = new int[columns.size()];
      for (int i = 0; i < columns.size(); i++) {
        compared[i] = SqlIdentifiers.quote(columns.get(i).name());
        how[i] = byText[i] ? Comparison.TEXT
            : SPELLING_EXACT.matcher(columns.get(i).pgType()).matches() ? Comparison.EQUAL
            : Comparison.EQUAL_AND_TEXT;
        all[i] = i;
      }
      patterns = new NullPatterns("DELETE FROM " + table + " WHERE ctid = ANY (ARRAY(SELECT ctid FROM " + table,
          compared, all, " LIMIT ?))", how);
      deleteCopies = patterns;
    }
    return patterns;
  }

  /**
   * Types, as {@code format_type} prints them, whose equality holds only between values of one text form: two
   * equal values are the same row of a multiset. Any other type is compared by its text form too.
   */
  private static final Pattern SPELLING_EXACT = Pattern.compile(
      "smallint|integer|bigint|boolean|date|uuid|oid|text|bytea|money|numeric\\(\\d+(,\\d+)?\\)"
          + "|timestamp(\\(\\d+\\))? with(out)? time zone|time(\\(\\d+\\))? without time zone"
          + "|(character varying|character|bit varying|bit)(\\(\\d+\\))?");

  /** How a retraction compares one column of the stored row with the bound value. */
  private enum Comparison {
    /** {@code c = ?}. */
    EQUAL,
    /** {@code c::text = (?)::text}: the type has no equality operator. */
    TEXT,
    /** {@code c = ? AND c::text = (?)::text}: equality alone would take another spelling's copy. */
    EQUAL_AND_TEXT
  }

  /**
   * One statement per pattern of NULLs among the compared values: {@code c = ?} where the value is not NULL and
   * {@code c IS NULL} where it is. Equal to comparing every column with {@code IS NOT DISTINCT FROM}, which
   * PostgreSQL cannot answer from an index: a retraction would scan the whole result table. Built on first use
   * of each pattern; few patterns occur in practice.
   */
  private final class NullPatterns {
    private final String head;
    private final String[] compared;
    private final int[] columnsCompared;
    private final String tail;
    /** How each column is compared, or null for {@link Comparison#EQUAL} throughout. */
    private final Comparison[] how;
    private final Map<Long, String> sqlByNulls = new HashMap<>();

    NullPatterns(String head, String[] compared, int[] columnsCompared, String tail, Comparison[] how) {
      this.head = head;
      this.compared = compared;
      this.columnsCompared = columnsCompared;
      this.tail = tail;
      this.how = how;
    }

    /** Bit i set: compared value i is NULL; above 63 columns the last bit stands for all the others. */
    long nullsOf(Row row) {
      long nulls = 0;
      for (int i = 0; i < columnsCompared.length; i++) {
        if (row.get(columnsCompared[i]) == null) {
          nulls |= 1L << Math.min(i, 63);
        }
      }
      return nulls;
    }

    String sql(long nulls) {
      return sqlByNulls.computeIfAbsent(nulls, n -> {
        StringBuilder where = new StringBuilder();
        for (int i = 0; i < compared.length; i++) {
          where.append(i == 0 ? " WHERE " : " AND ");
          int column = columnsCompared[i];
          if (i >= 63) {
            where.append(condition(i, " IS NOT DISTINCT FROM "));
          } else if ((n & (1L << i)) != 0) {
            where.append(compared[i]).append(" IS NULL");
          } else {
            where.append(condition(i, " = "));
          }
        }
        return head + (compared.length == 0 ? "" : where) + tail;
      });
    }

    private Comparison how(int i) {
      return how == null ? Comparison.EQUAL : how[columnsCompared[i]];
    }

    private String condition(int i, String operator) {
      String column = compared[i];
      String param = param(columnsCompared[i]);
      String byText = column + "::text" + operator + "(" + param + ")::text";
      return switch (how(i)) {
        case EQUAL -> column + operator + param;
        case TEXT -> byText;
        case EQUAL_AND_TEXT -> "(" + column + operator + param + " AND " + byText + ")";
      };
    }

    /** Binds the compared values of {@code row} that {@link #sql} has parameters for; returns the next index. */
    int bind(PreparedStatement ps, Row row, long nulls) throws SQLException {
      int p = 1;
      for (int i = 0; i < columnsCompared.length; i++) {
        if (i >= 63 || (nulls & (1L << i)) == 0) {
          String value = Values.toPgText(row.get(columnsCompared[i]));
          ps.setString(p++, value);
          if (how(i) == Comparison.EQUAL_AND_TEXT) {
            ps.setString(p++, value);
          }
        }
      }
      return p;
    }

    /** Runs one batch per pattern of NULLs; {@code copies} (or null) binds a trailing count per row. */
    void delete(Connection tx, Iterable<Row> rows, Map<Row, Long> copies) throws SQLException {
      Map<Long, List<Row>> byNulls = new HashMap<>();
      for (Row row : rows) {
        byNulls.computeIfAbsent(nullsOf(row), n -> new ArrayList<>()).add(row);
      }
      for (Map.Entry<Long, List<Row>> e : byNulls.entrySet()) {
        try (PreparedStatement ps = tx.prepareStatement(sql(e.getKey()))) {
          for (Row row : e.getValue()) {
            int next = bind(ps, row, e.getKey());
            if (copies != null) {
              ps.setLong(next, copies.get(row));
            }
            ps.addBatch();
          }
          ps.executeBatch();
        }
      }
    }
  }

  /**
   * Per column, whether its type has no equality PostgreSQL would group by. Each distinct type is tried in a
   * savepoint with {@code GROUP BY}, which needs exactly that (a default btree or hash operator class, for
   * arrays and composites also for their elements and fields); the answer is PostgreSQL's own, with no list
   * of types to keep current. The type text is {@code format_type}'s, read from the catalog and quoted there.
   */
  private boolean[] withoutEquality(Connection tx) throws SQLException {
    Map<String, Boolean> byType = new HashMap<>();
    boolean[] out = new boolean[columns.size()];
    for (int i = 0; i < columns.size(); i++) {
      String type = columns.get(i).pgType();
      Boolean lacks = byType.get(type);
      if (lacks == null) {
        Savepoint probe = tx.setSavepoint();
        try (Statement s = tx.createStatement()) {
          s.execute("SELECT 1 FROM (SELECT NULL::" + type + " AS v) t GROUP BY v");
          lacks = false;
          tx.releaseSavepoint(probe);
        } catch (SQLException e) {
          if (!UNDEFINED_FUNCTION.equals(e.getSQLState())) {
            throw e;
          }
          tx.rollback(probe);
          lacks = true;
        }
        byType.put(type, lacks);
      }
      out[i] = lacks;
    }
    return out;
  }

  /** Types of bounded, small values with a btree operator class, as {@code format_type} prints them. */
  private static final Pattern SMALL_INDEXABLE = Pattern.compile(
      "smallint|integer|bigint|real|double precision|boolean|date|uuid|oid|money|interval(\\(\\d+\\))?"
          + "|time(stamp)?(\\(\\d+\\))? with(out)? time zone|numeric\\(\\d+(,\\d+)?\\)"
          + "|(character varying|character|bit varying|bit)\\(([1-9]|[1-9]\\d|1\\d\\d|200)\\)");

  /**
   * The columns the result table of a view without a unique key is indexed on, so that a retraction finds its
   * copies without scanning the table: up to four, in order, of types whose values are small (numbers, dates
   * and times, booleans, uuids, numerics and character types of a declared size up to 200). Wider values could
   * pass btree's entry size limit, and an insert into the result table would then fail. Empty when no column
   * qualifies; retractions then scan.
   */
  public static int[] rowIndexColumns(List<ResultColumn> columns) {
    int[] chosen = new int[4];
    int n = 0;
    for (int i = 0; i < columns.size() && n < chosen.length; i++) {
      if (SMALL_INDEXABLE.matcher(columns.get(i).pgType()).matches()) {
        chosen[n++] = i;
      }
    }
    return Arrays.copyOf(chosen, n);
  }

  private String param(int column) {
    return "?::" + columns.get(column).pgType();
  }

  private static boolean contains(int[] array, int value) {
    for (int v : array) {
      if (v == value) {
        return true;
      }
    }
    return false;
  }

  /** Writes {@code delta} to the result table within {@code tx}'s open transaction. */
  public void apply(Connection tx, ZSet delta) throws SQLException {
    if (delta.isEmpty()) {
      return;
    }
    if (key == null) {
      applyMultiset(tx, delta);
    } else {
      applyKeyed(tx, delta);
    }
  }

  private void applyKeyed(Connection tx, ZSet delta) throws SQLException {
    Map<Row, Row> upserts = new LinkedHashMap<>();
    Map<Row, Row> deletes = new LinkedHashMap<>();
    List<String> conflicts = new ArrayList<>();
    delta.forEach((row, weight) -> {
      Row k = row.project(key);
      if (weight > 0) {
        if (weight != 1 || upserts.put(k, row) != null) {
          conflicts.add(row + " x" + weight);
        }
      } else {
        deletes.put(k, row);
      }
    });
    if (!conflicts.isEmpty()) {
      throw new SQLException("Deltaview internal error: view delta for " + table
          + " has several rows for one key: " + conflicts, SqlStates.INTERNAL_ERROR);
    }
    for (Row k : upserts.keySet()) {
      deletes.remove(k);
    }
    if (!deletes.isEmpty() || (!upsert && !upserts.isEmpty())) {
      List<Row> keysToDelete = new ArrayList<>(deletes.values());
      if (!upsert) {
        keysToDelete.addAll(upserts.values());
      }
      deleteByKey.delete(tx, keysToDelete, null);
    }
    if (!upserts.isEmpty()) {
      try (PreparedStatement ps = tx.prepareStatement(upsert ? upsertSql : insertSql)) {
        for (Row row : upserts.values()) {
          bindRow(ps, row);
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
  }

  private void applyMultiset(Connection tx, ZSet delta) throws SQLException {
    Map<Row, Long> removals = new HashMap<>();
    Map<Row, Long> additions = new HashMap<>();
    delta.forEach((row, weight) -> (weight < 0 ? removals : additions).put(row, Math.abs(weight)));
    if (!removals.isEmpty()) {
      deleteCopies(tx).delete(tx, removals.keySet(), removals);
    }
    if (!additions.isEmpty()) {
      try (PreparedStatement ps = tx.prepareStatement(insertSql)) {
        for (Map.Entry<Row, Long> e : additions.entrySet()) {
          for (long n = 0; n < e.getValue(); n++) {
            bindRow(ps, e.getKey());
            ps.addBatch();
          }
        }
        ps.executeBatch();
      }
    }
  }

  private void bindRow(PreparedStatement ps, Row row) throws SQLException {
    for (int i = 0; i < columns.size(); i++) {
      ps.setString(i + 1, Values.toPgText(row.get(i)));
    }
  }

  /**
   * Replaces the whole content of the result table with {@code contents} (all weights positive) inside
   * {@code tx}'s open transaction: {@link #deleteAll} then a streamed {@link #copy}.
   */
  public void replaceAll(Connection tx, ZSet contents) throws SQLException {
    deleteAll(tx);
    try (RowCopy copy = copy(tx)) {
      try {
        contents.forEach(copy);
      } catch (RowCopy.Failed e) {
        throw e.getCause();
      }
      copy.finish();
    }
  }

  /**
   * Empties the result table inside {@code tx}'s open transaction with {@code DELETE} (MVCC-safe for concurrent
   * readers, who keep seeing the old rows until the commit, unlike TRUNCATE).
   */
  public void deleteAll(Connection tx) throws SQLException {
    try (Statement s = tx.createStatement()) {
      s.executeUpdate("DELETE FROM " + table);
    }
  }

  /**
   * Counts the result table's rows (in {@code c}'s transaction, if one is open): once when a load replaced it or
   * a restart resumed it, after which the apply loop keeps the count from what it writes.
   */
  public long countRows(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); java.sql.ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * A {@code COPY … FROM STDIN} into the result table inside {@code tx}'s open transaction, fed row by row, so
   * that a large result is never held as text: rows are encoded into a buffer that is sent whenever it holds
   * {@value RowCopy#FLUSH_CHARS} characters. The COPY starts with the first row (an empty one sends nothing).
   * Use it as the consumer of a pipeline's output; {@link RowCopy#finish} ends it, {@code close} without
   * finishing cancels it (the transaction is then aborted).
   */
  public RowCopy copy(Connection tx) {
    return new RowCopy(tx);
  }

  /**
   * One streamed COPY into this sink's result table; see {@link #copy}. Not thread-safe. A row with a weight
   * below 1 is an internal error (a full result has no retractions); errors while streaming surface from
   * {@link #accept} as {@link Failed}, carrying the {@link SQLException}.
   */
  public final class RowCopy implements ObjLongConsumer<Row>, AutoCloseable {

    /** About 128 KB of UTF-16 text per write: large enough for few round trips, small against any heap. */
    static final int FLUSH_CHARS = 64 * 1024;

    /** A failure inside {@link #accept}, where a checked exception cannot be thrown. */
    public static final class Failed extends RuntimeException {
      Failed(SQLException cause) {
        super(cause.getMessage(), cause);
      }

      @Override
      public synchronized SQLException getCause() {
        return (SQLException) super.getCause();
      }
    }

    private final Connection tx;
    private final StringBuilder buffer = new StringBuilder(FLUSH_CHARS + 1024);
    private CopyIn copy;
    private long rows;
    private boolean done;

    private RowCopy(Connection tx) {
      this.tx = tx;
    }

    /** Appends {@code weight} copies of {@code row}. */
    @Override
    public void accept(Row row, long weight) {
      if (weight <= 0) {
        throw new Failed(new SQLException("Deltaview internal error: a retraction (" + row + " x" + weight
            + ") in the full result of " + table, SqlStates.INTERNAL_ERROR));
      }
      for (long n = 0; n < weight; n++) {
        appendCopyLine(buffer, row);
      }
      rows += weight;
      if (buffer.length() >= FLUSH_CHARS) {
        try {
          flush();
        } catch (SQLException e) {
          throw new Failed(e);
        }
      }
    }

    /** Rows appended so far. */
    public long rows() {
      return rows;
    }

    private void flush() throws SQLException {
      if (buffer.length() == 0) {
        return;
      }
      if (copy == null) {
        StringBuilder cols = new StringBuilder();
        for (int i = 0; i < columns.size(); i++) {
          cols.append(i == 0 ? "" : ", ").append(SqlIdentifiers.quote(columns.get(i).name()));
        }
        // without columns each row is an empty line, and the table is named alone
        copy = tx.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + table
            + (columns.isEmpty() ? "" : " (" + cols + ")") + " FROM STDIN");
      }
      byte[] bytes = buffer.toString().getBytes(StandardCharsets.UTF_8);
      buffer.setLength(0);
      copy.writeToCopy(bytes, 0, bytes.length);
    }

    /** Sends what is buffered and ends the COPY; PostgreSQL's error (e.g. a constraint) is thrown as is. */
    public void finish() throws SQLException {
      flush();
      done = true;
      if (copy != null) {
        copy.endCopy();
      }
    }

    /** Cancels the COPY unless {@link #finish} ended it. */
    @Override
    public void close() throws SQLException {
      if (!done && copy != null && copy.isActive()) {
        done = true;
        copy.cancelCopy();
      }
    }
  }

  private void appendCopyLine(StringBuilder out, Row row) {
    for (int i = 0; i < row.size(); i++) {
      if (i > 0) {
        out.append('\t');
      }
      String text = Values.toPgText(row.get(i));
      if (text == null) {
        out.append("\\N");
        continue;
      }
      for (int c = 0; c < text.length(); c++) {
        char ch = text.charAt(c);
        switch (ch) {
          case '\\' -> out.append("\\\\");
          case '\t' -> out.append("\\t");
          case '\n' -> out.append("\\n");
          case '\r' -> out.append("\\r");
          default -> out.append(ch);
        }
      }
    }
    out.append('\n');
  }
}
