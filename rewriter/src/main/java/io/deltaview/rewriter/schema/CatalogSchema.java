package io.deltaview.rewriter.schema;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Immutable snapshot of the user tables of a PostgreSQL database plus the search path used to resolve
 * unqualified names. Build it with {@link #load(Connection)} or, in tests, with {@link #builder()}.
 */
public final class CatalogSchema {

  /**
   * The one catalog query: every column of every table-like relation outside the system schemas and
   * {@code deltaview} (except the result tables of automatic views there, {@code deltaview.auto_*}, which
   * the rewriter must see to read them), with primary-key membership, joined to the session's search path
   * so that an empty database still returns one row carrying the path.
   */
  static final String CATALOG_QUERY = """
      SELECT sp.path, c.nspname, c.relname, c.attname, c.typ, c.notnull, c.pk_pos, c.generated
      FROM (SELECT array_to_string(current_schemas(false), ',') AS path) sp
      LEFT JOIN (
        SELECT n.nspname, cl.relname, a.attnum, a.attname,
               format_type(a.atttypid, a.atttypmod) AS typ, a.attnotnull AS notnull,
               a.attgenerated <> '' AS generated,
               (SELECT k.ord FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(att, ord)
                WHERE k.att = a.attnum) AS pk_pos
        FROM pg_catalog.pg_class cl
        JOIN pg_catalog.pg_namespace n ON n.oid = cl.relnamespace
        JOIN pg_catalog.pg_attribute a ON a.attrelid = cl.oid AND a.attnum > 0 AND NOT a.attisdropped
        LEFT JOIN pg_catalog.pg_index i ON i.indrelid = cl.oid AND i.indisprimary
        WHERE cl.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
          AND (n.nspname <> 'deltaview' OR cl.relname LIKE 'auto\\_%')
          AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
      ) c ON true
      ORDER BY c.nspname, c.relname, c.attnum
      """;

  private final Map<String, Map<String, TableInfo>> tablesBySchema;
  private final List<String> searchPath;
  private final long version;

  private CatalogSchema(Map<String, Map<String, TableInfo>> tablesBySchema, List<String> searchPath) {
    Map<String, Map<String, TableInfo>> copy = new LinkedHashMap<>();
    tablesBySchema.forEach((s, t) -> copy.put(s, Map.copyOf(t)));
    this.tablesBySchema = Map.copyOf(copy);
    this.searchPath = List.copyOf(searchPath);
    this.version = fingerprint(this.tablesBySchema, this.searchPath);
  }

  /** Loads the snapshot with a single catalog query; the connection is left as it was. */
  public static CatalogSchema load(Connection connection) throws SQLException {
    List<CatalogRow> rows = new ArrayList<>();
    try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(CATALOG_QUERY)) {
      while (rs.next()) {
        int pkPosition = rs.getInt(7); // 0 when NULL: not part of the primary key
        rows.add(new CatalogRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
            rs.getString(5), rs.getBoolean(6), pkPosition, rs.getBoolean(8)));
      }
    }
    return fromRows(rows);
  }

  /**
   * One row of {@link #CATALOG_QUERY}; {@code pkPosition} is 1-based, 0 when not in the primary key. Table
   * fields are null in the single row an empty database returns.
   */
  record CatalogRow(String searchPath, String schema, String table, String column, String type,
                    boolean notNull, int pkPosition, boolean generated) {}

  /** Assembles the snapshot from catalog rows (ordered by schema, table, ordinal). */
  static CatalogSchema fromRows(List<CatalogRow> rows) {
    Builder b = builder();
    Map<String, List<String[]>> pk = new LinkedHashMap<>();
    Map<String, TableBuilder> tables = new LinkedHashMap<>();
    for (CatalogRow r : rows) {
      if (r.searchPath() != null && !r.searchPath().isEmpty()) {
        b.searchPath(List.of(r.searchPath().split(",")));
      }
      if (r.table() == null) {
        continue;
      }
      String key = r.schema() + "\u0000" + r.table();
      TableBuilder t = tables.computeIfAbsent(key, k -> b.table(r.schema(), r.table()));
      t.column(r.column(), r.type(), !r.notNull(), r.generated());
      if (r.pkPosition() > 0) {
        pk.computeIfAbsent(key, k -> new ArrayList<>()).add(new String[] {
            String.valueOf(r.pkPosition()), r.column()});
      }
    }
    pk.forEach((key, cols) -> {
      cols.sort((x, y) -> Integer.compare(Integer.parseInt(x[0]), Integer.parseInt(y[0])));
      tables.get(key).primaryKey(cols.stream().map(c -> c[1]).toArray(String[]::new));
    });
    return b.build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Schemas searched, in order, for unqualified table names (PostgreSQL's {@code current_schemas(false)}). */
  public List<String> searchPath() {
    return searchPath;
  }

  /** The first schema of the search path, or {@code public} when the path is empty. */
  public String currentSchema() {
    return searchPath.isEmpty() ? "public" : searchPath.get(0);
  }

  /** Schema name → table name → table. */
  public Map<String, Map<String, TableInfo>> schemas() {
    return tablesBySchema;
  }

  public Optional<TableInfo> table(String schema, String name) {
    Map<String, TableInfo> s = tablesBySchema.get(schema);
    return s == null ? Optional.empty() : Optional.ofNullable(s.get(name));
  }

  /** Resolves an unqualified name through the search path, as PostgreSQL would. */
  public Optional<TableInfo> resolve(String name) {
    for (String s : searchPath) {
      Optional<TableInfo> t = table(s, name);
      if (t.isPresent()) {
        return t;
      }
    }
    return Optional.empty();
  }

  /** Content fingerprint: equal snapshots have equal versions, so caches can key on it. */
  public long version() {
    return version;
  }

  private static long fingerprint(Map<String, Map<String, TableInfo>> tables, List<String> path) {
    // Records have value-based hashCode; sort schema/table names so map iteration order does not matter.
    long h = path.hashCode();
    List<String> schemaNames = new ArrayList<>(tables.keySet());
    schemaNames.sort(null);
    for (String s : schemaNames) {
      List<String> names = new ArrayList<>(tables.get(s).keySet());
      names.sort(null);
      for (String n : names) {
        h = h * 1_000_003L + tables.get(s).get(n).hashCode();
      }
    }
    return h;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CatalogSchema c && c.tablesBySchema.equals(tablesBySchema)
        && c.searchPath.equals(searchPath);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(version);
  }

  @Override
  public String toString() {
    return "CatalogSchema{searchPath=" + searchPath + ", tables=" + tablesBySchema.values().stream()
        .mapToInt(Map::size).sum() + ", version=" + version + "}";
  }

  /** Mutable builder for tests and for {@link #load}; {@link #build()} freezes it. */
  public static final class Builder {
    private final List<TableBuilder> tables = new ArrayList<>();
    private List<String> searchPath = List.of("public");

    private Builder() {}

    public Builder searchPath(List<String> schemas) {
      this.searchPath = List.copyOf(schemas);
      return this;
    }

    /** Starts a table; add columns on the returned builder, then call {@link TableBuilder#done()}. */
    public TableBuilder table(String schema, String name) {
      TableBuilder t = new TableBuilder(this, schema, name);
      tables.add(t);
      return t;
    }

    public CatalogSchema build() {
      Map<String, Map<String, TableInfo>> bySchema = new LinkedHashMap<>();
      for (TableBuilder t : tables) {
        TableInfo info = t.toInfo();
        bySchema.computeIfAbsent(info.schema(), s -> new LinkedHashMap<>()).put(info.name(), info);
      }
      return new CatalogSchema(bySchema, searchPath);
    }
  }

  /** Builder of one table. */
  public static final class TableBuilder {
    private final Builder parent;
    private final String schema;
    private final String name;
    private final List<ColumnInfo> columns = new ArrayList<>();
    private List<String> primaryKey = List.of();

    private TableBuilder(Builder parent, String schema, String name) {
      this.parent = parent;
      this.schema = Objects.requireNonNull(schema);
      this.name = Objects.requireNonNull(name);
    }

    /** Adds a nullable column; {@code pgType} as PostgreSQL spells it, e.g. {@code numeric(10,2)}. */
    public TableBuilder column(String columnName, String pgType) {
      return column(columnName, pgType, true);
    }

    public TableBuilder column(String columnName, String pgType, boolean nullable) {
      return column(columnName, pgType, nullable, false);
    }

    /** Adds a column that may be a generated one ({@code GENERATED ALWAYS AS (...) STORED}). */
    public TableBuilder column(String columnName, String pgType, boolean nullable, boolean generated) {
      columns.add(new ColumnInfo(columnName, PgType.parse(pgType), nullable, generated));
      return this;
    }

    /** Declares the primary key; its columns become NOT NULL, as in PostgreSQL. */
    public TableBuilder primaryKey(String... columnNames) {
      primaryKey = List.of(columnNames);
      return this;
    }

    public Builder done() {
      return parent;
    }

    private TableInfo toInfo() {
      List<ColumnInfo> cols = new ArrayList<>();
      for (ColumnInfo c : columns) {
        cols.add(primaryKey.contains(c.name()) ? new ColumnInfo(c.name(), c.type(), false, c.generated()) : c);
      }
      return new TableInfo(schema, name, cols, primaryKey);
    }
  }
}
