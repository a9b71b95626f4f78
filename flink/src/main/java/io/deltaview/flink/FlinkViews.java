package io.deltaview.flink;

import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.ddl.BaseTables;
import io.deltaview.engine.sink.ResultColumn;
import io.deltaview.engine.view.PlannedView;
import io.deltaview.engine.view.TableShape;
import io.deltaview.engine.view.ViewPlanner;
import io.deltaview.flink.job.JobSpec;
import io.deltaview.rewriter.schema.CatalogSchema;
import io.deltaview.rewriter.sql.DefinitionSql;
import io.deltaview.rewriter.sql.SqlFrontEnd;
import io.deltaview.sql.SqlIdentifiers;
import io.deltaview.sql.SqlStates;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.calcite.rel.RelRoot;

/**
 * Creating and dropping views maintained by a Flink job. The result table is made exactly as the embedded engine
 * makes it ({@code CREATE TABLE … AS <definition> WITH NO DATA}, so PostgreSQL names and types its columns, and the
 * planner's key as its primary key), so reading, rewriting and comparing it works the same whichever backend keeps
 * it. The job reads the base tables through a publication and replication slots of its own, named after the view,
 * which {@link FlinkView#drop} removes.
 */
public final class FlinkViews {

  private static final Duration START_TIMEOUT = Duration.ofMinutes(3);

  private FlinkViews() {
  }

  /**
   * Creates view {@code schema.name} over {@code definition} on {@code c} and starts its job locally; returns once
   * the job runs (its first snapshot may still be loading). On failure nothing is left behind.
   *
   * @throws SQLException PostgreSQL's errors for a bad definition; {@code 0A000} naming what a Flink job cannot
   *     compute as PostgreSQL does; {@code 55000} for a base table without a primary key or without {@code REPLICA
   *     IDENTITY FULL}
   */
  public static FlinkView create(Connection c, String schema, String name, String definition, FlinkDatabase db,
      FlinkSettings settings) throws SQLException {
    SqlIdentifiers.checkedLength(name);
    String canonical = DefinitionSql.canonical(definition);
    String replicationName = replicationName(db.database(), schema, name);
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    JobSpec job;
    try (Statement s = c.createStatement()) {
      PlannedView plan = ViewPlanner.plan(c, canonical);
      BaseTables.checkMaintainable(c, plan.sources());
      checkSources(c, plan.sources());
      if (plan.uniqueKey() == null || plan.uniqueKey().length == 0 || !plan.keyNotNull()) {
        throw FlinkSqlTranslator.unsupported("a view without a key that cannot be NULL (a GROUP BY of columns"
            + " declared NOT NULL): Flink's JDBC sink writes a changing result by its primary key");
      }
      CatalogSchema catalog = CatalogSchema.load(c);
      RelRoot root = SqlFrontEnd.forViews(catalog).toRel(canonical);
      String table = SqlIdentifiers.quote(schema, name);
      s.execute("CREATE TABLE " + table + " AS " + canonical + " WITH NO DATA");
      List<ResultColumn> columns = Catalog.columnsOf(c, schema, name);
      StringBuilder key = new StringBuilder();
      for (int k : plan.uniqueKey()) {
        key.append(key.length() == 0 ? "" : ", ").append(SqlIdentifiers.quote(columns.get(k).name()));
      }
      s.execute("ALTER TABLE " + table + " ADD PRIMARY KEY (" + key + ")");
      List<String> names = new ArrayList<>();
      columns.forEach(col -> names.add(col.name()));
      names.add(schema);
      names.add(name);
      checkNotReserved(c, names);
      job = FlinkSqlTranslator.translate(root, catalog,
          new FlinkSqlTranslator.ResultTable(schema, name, columns, plan.uniqueKey()),
          new FlinkSqlTranslator.Target(db.host(), db.port(), db.database(), db.user(), replicationName,
              replicationName),
          settings.flinkConfiguration());
      Set<String> tables = new LinkedHashSet<>();
      for (TableShape t : plan.sources()) {
        tables.add(SqlIdentifiers.quote(t.schema(), t.name()));
      }
      s.execute("CREATE PUBLICATION " + SqlIdentifiers.quote(replicationName) + " FOR TABLE "
          + String.join(", ", tables));
      c.commit();
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(autoCommit);
    }
    LocalFlinkRunner runner;
    try {
      runner = LocalFlinkRunner.start(job, db.password(), settings, START_TIMEOUT);
    } catch (SQLException e) {
      try {
        FlinkView.dropReplicationAndTable(c, schema, name, replicationName);
      } catch (SQLException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    return new FlinkView(schema, name, replicationName, job, runner);
  }

  /**
   * Each base table must have a primary key (Flink CDC's incremental snapshot splits by it) and REPLICA IDENTITY
   * FULL (its change stream needs the old row of every update and delete).
   */
  private static void checkSources(Connection c, List<TableShape> sources) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT c.relreplident,"
        + " EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)"
        + " FROM pg_class c WHERE c.oid = ?::regclass")) {
      for (TableShape t : sources) {
        String quoted = SqlIdentifiers.quote(t.schema(), t.name());
        ps.setString(1, quoted);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (!rs.getBoolean(2)) {
            throw new SQLException("table " + t.qualifiedName() + " has no primary key, which Flink CDC's incremental"
                + " snapshot needs to read it", SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
          }
          if (!"f".equals(rs.getString(1))) {
            throw new SQLException("table " + t.qualifiedName() + " does not have REPLICA IDENTITY FULL, which Flink"
                + " CDC needs to see the old row of each update and delete (ALTER TABLE " + quoted
                + " REPLICA IDENTITY FULL)", SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
          }
        }
      }
    }
  }

  /** Refuses names PostgreSQL reserves: the JDBC sink writes them unquoted, where they would not parse. */
  private static void checkNotReserved(Connection c, List<String> names) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT word FROM pg_get_keywords()"
        + " WHERE catcode IN ('R', 'T') AND word = ANY (?)")) {
      Array array = c.createArrayOf("text", names.toArray());
      ps.setArray(1, array);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          throw FlinkSqlTranslator.unsupported("the name " + rs.getString(1) + ", which PostgreSQL reserves: Flink's"
              + " JDBC sink writes names unquoted, so rename it (an alias in the view)");
        }
      }
    }
  }

  /**
   * The name of the view's publication, and the prefix of its replication slots: unique per database, schema and
   * view (slots are per server), and a plain identifier of at most 20 characters.
   */
  static String replicationName(String database, String schema, String name) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] digest = sha.digest((database + '\0' + schema + '\0' + name).getBytes(StandardCharsets.UTF_8));
      return "dvf_" + HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
