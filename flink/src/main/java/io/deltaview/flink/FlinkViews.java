package io.deltaview.flink;

import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.ddl.BaseTables;
import io.deltaview.engine.ddl.Requester;
import io.deltaview.engine.ddl.ResultTables;
import io.deltaview.engine.sink.ResultColumn;
import io.deltaview.engine.view.PlannedView;
import io.deltaview.engine.view.TableShape;
import io.deltaview.engine.view.ViewCompilation;
import io.deltaview.engine.view.ViewPlanner;
import io.deltaview.flink.job.JobSpec;
import io.deltaview.rewriter.schema.CatalogSchema;
import io.deltaview.rewriter.sql.DefinitionSql;
import io.deltaview.rewriter.sql.SqlFrontEnd;
import io.deltaview.sql.SqlIdentifiers;
import io.deltaview.sql.SqlStates;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
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
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
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
   * Creates view {@code schema.name} over {@code definition} on {@code c} and starts its job, in a Flink JVM of its
   * own or on {@code settings}' Flink cluster; returns once the job runs (its first snapshot may still be loading).
   * On failure nothing is left behind.
   *
   * @throws SQLException PostgreSQL's errors for a bad definition; {@code 0A000} naming what a Flink job cannot
   *     compute as PostgreSQL does; {@code 55000} for a base table without a primary key or without {@code REPLICA
   *     IDENTITY FULL}
   */
  public static FlinkView create(Connection c, String schema, String name, String definition, FlinkDatabase db,
      FlinkSettings settings) throws SQLException {
    return create(c, schema, name, definition, db, settings, null, false);
  }

  /**
   * {@link #create(Connection, String, String, String, FlinkDatabase, FlinkSettings)} on behalf of {@code
   * requester} (null: {@code c}'s role itself), as the embedded engine creates a view for one: the definition's
   * names resolve on the requester's search path, the requester must be allowed what {@code CREATE TABLE … AS}
   * would need of it, and gets SELECT (with grant option) on the result table, which nobody else may write. With
   * {@code inOwnSchema} (a view Deltaview creates by itself, in its own schema), no CREATE privilege on the schema.
   */
  static FlinkView create(Connection c, String schema, String name, String definition, FlinkDatabase db,
      FlinkSettings settings, Requester requester, boolean inOwnSchema) throws SQLException {
    SqlIdentifiers.checkedLength(name);
    String replicationName = replicationName(db.database(), schema, name);
    JobSpec job = prepare(c, schema, name, definition, db, settings, true, requester,
        requester == null ? null : requester.searchPath(), inOwnSchema);
    return run(c, schema, name, replicationName, job, db, settings, true);
  }

  /**
   * Starts the job of view {@code schema.name}, which {@link #create} made and whose job was stopped
   * ({@link FlinkView#close}) or died with its JVM, from the newest checkpoint in {@code settings}' work directory
   * (on a Flink cluster: finds the job still running, or starts it from its last job's retained checkpoint, see
   * {@link RestFlinkRunner#resume}):
   * its sources go on from the positions that checkpoint holds in their replication slots, and the sink writes
   * again what followed it (upserts by key, so the result table converges to the view again). Without a checkpoint
   * the view is not resumed: drop and create it.
   *
   * @throws SQLException {@code 55000} if there is no completed checkpoint or no result table to resume
   */
  public static FlinkView resume(Connection c, String schema, String name, String definition, FlinkDatabase db,
      FlinkSettings settings) throws SQLException {
    return resume(c, schema, name, definition, null, db, settings);
  }

  /**
   * {@link #resume(Connection, String, String, String, FlinkDatabase, FlinkSettings)} with the definition's names
   * resolving on {@code searchPath} (the creator's, as recorded; null: {@code c}'s own).
   */
  static FlinkView resume(Connection c, String schema, String name, String definition, String searchPath,
      FlinkDatabase db, FlinkSettings settings) throws SQLException {
    String replicationName = replicationName(db.database(), schema, name);
    if (settings.cluster() != null) {
      JobSpec job = prepare(c, schema, name, definition, db, settings, false, null, searchPath, false);
      return new FlinkView(schema, name, replicationName, job,
          RestFlinkRunner.resume(settings.cluster(), job, START_TIMEOUT));
    }
    Path checkpoint = newestCheckpoint(settings.workDirectory().resolve("checkpoints"));
    if (checkpoint == null) {
      throw new SQLException("view " + schema + "." + name + " has no completed Flink checkpoint under "
          + settings.workDirectory() + " to resume from", SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
    }
    JobSpec prepared = prepare(c, schema, name, definition, db, settings, false, null, searchPath, false);
    Map<String, String> config = new LinkedHashMap<>(prepared.flinkConfig());
    config.put("execution.state-recovery.path", checkpoint.toUri().toString());
    JobSpec job = new JobSpec(prepared.jobName(), prepared.sources(), prepared.sink(), prepared.insertSql(), config);
    return run(c, schema, name, replicationName, job, db, settings, false);
  }

  /**
   * Drops view {@code schema.name}'s result table, replication slots and publication when its job does not run in
   * this process: on a Flink cluster, its job (found by name) is cancelled first; a local job ended with the
   * process that ran it.
   */
  static void dropNotRunningHere(Connection c, String schema, String name, FlinkDatabase db, FlinkSettings settings)
      throws SQLException {
    String replicationName = replicationName(db.database(), schema, name);
    if (settings.cluster() != null) {
      RestFlinkRunner.cancelAll(settings.cluster(), FlinkSqlTranslator.jobName(replicationName, schema, name));
    }
    FlinkView.dropReplicationAndTable(c, schema, name, replicationName);
  }

  /** The newest {@code chk-N} directory with its {@code _metadata} (a completed checkpoint) under {@code root}. */
  static Path newestCheckpoint(Path root) throws SQLException {
    if (!Files.isDirectory(root)) {
      return null;
    }
    try (Stream<Path> files = Files.walk(root, 3)) {
      return files.filter(p -> p.getFileName().toString().equals("_metadata"))
          .map(Path::getParent)
          .filter(p -> p.getFileName().toString().startsWith("chk-"))
          .max(Comparator.comparing(FlinkViews::modified))
          .orElse(null);
    } catch (IOException | UncheckedIOException e) {
      throw new SQLException("cannot read the Flink checkpoints under " + root + ": " + e.getMessage(),
          SqlStates.INTERNAL_ERROR, e);
    }
  }

  /** The number of the newest completed checkpoint ({@code chk-N} with its {@code _metadata}) under {@code root}; 0 if none. */
  static long newestCheckpointNumber(Path root) throws SQLException {
    if (!Files.isDirectory(root)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(root, 3)) {
      return files.filter(p -> p.getFileName().toString().equals("_metadata"))
          .map(p -> p.getParent().getFileName().toString())
          .filter(d -> d.matches("chk-[0-9]+"))
          .mapToLong(d -> Long.parseLong(d.substring(4)))
          .max().orElse(0);
    } catch (IOException | UncheckedIOException e) {
      throw new SQLException("cannot read the Flink checkpoints under " + root + ": " + e.getMessage(),
          SqlStates.INTERNAL_ERROR, e);
    }
  }

  private static FileTime modified(Path p) {
    try {
      return Files.getLastModifiedTime(p.resolve("_metadata"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static FlinkView run(Connection c, String schema, String name, String replicationName, JobSpec job,
      FlinkDatabase db, FlinkSettings settings, boolean dropOnFailure) throws SQLException {
    FlinkJobRunner runner;
    try {
      runner = settings.cluster() != null ? RestFlinkRunner.submit(settings.cluster(), job, null, START_TIMEOUT)
          : LocalFlinkRunner.start(job, db.password(), settings, START_TIMEOUT);
    } catch (SQLException e) {
      if (dropOnFailure) {
        try {
          FlinkView.dropReplicationAndTable(c, schema, name, replicationName);
        } catch (SQLException cleanup) {
          e.addSuppressed(cleanup);
        }
      }
      throw e;
    }
    return new FlinkView(schema, name, replicationName, job, runner);
  }

  /**
   * Plans and translates the view on {@code c}; with {@code create}, also creates its result table and publication
   * (committed only if everything succeeds), else checks the result table is there.
   */
  private static JobSpec prepare(Connection c, String schema, String name, String definition, FlinkDatabase db,
      FlinkSettings settings, boolean create, Requester requester, String searchPath, boolean inOwnSchema)
      throws SQLException {
    String canonical = DefinitionSql.canonical(definition);
    String replicationName = replicationName(db.database(), schema, name);
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      if (searchPath != null) {
        ViewCompilation.setSearchPath(c, searchPath);
      }
      // Flink evaluates the expressions; the engine's compilation only checks the definition is maintainable
      PlannedView plan = ViewPlanner.plan(c, canonical, io.deltaview.engine.expr.SessionZone.UTC);
      BaseTables.checkMaintainable(c, plan.sources());
      if (requester != null) {
        requester.mayCreate(schema, canonical, plan.sources(), inOwnSchema);
      }
      checkSources(c, plan.sources());
      if (plan.uniqueKey() == null || plan.uniqueKey().length == 0 || !plan.keyNotNull()) {
        throw FlinkSqlTranslator.unsupported("a view without a key that cannot be NULL (a GROUP BY of columns"
            + " declared NOT NULL): Flink's JDBC sink writes a changing result by its primary key");
      }
      CatalogSchema catalog = CatalogSchema.load(c);
      RelRoot root = SqlFrontEnd.forViews(catalog).toRel(canonical);
      String table = SqlIdentifiers.quote(schema, name);
      if (create) {
        s.execute("CREATE TABLE " + table + " AS " + canonical + " WITH NO DATA");
        if (requester != null) {
          ResultTables.restrictToReading(c, table, requester.role());
        }
      } else if (ResultTables.oid(c, schema, name) == 0) {
        throw new SQLException("view " + schema + "." + name + " has no result table to resume",
            SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
      }
      List<ResultColumn> columns = Catalog.columnsOf(c, schema, name);
      if (create) {
        StringBuilder key = new StringBuilder();
        for (int k : plan.uniqueKey()) {
          key.append(key.length() == 0 ? "" : ", ").append(SqlIdentifiers.quote(columns.get(k).name()));
        }
        s.execute("ALTER TABLE " + table + " ADD PRIMARY KEY (" + key + ")");
      }
      List<String> names = new ArrayList<>();
      columns.forEach(col -> names.add(col.name()));
      names.add(schema);
      names.add(name);
      checkNotReserved(c, names);
      JobSpec job = FlinkSqlTranslator.translate(root, catalog,
          new FlinkSqlTranslator.ResultTable(schema, name, columns, plan.uniqueKey()),
          new FlinkSqlTranslator.Target(db.host(), db.port(), db.database(), db.user(), replicationName,
              replicationName),
          settings.flinkConfiguration());
      if (create) {
        Set<String> tables = new LinkedHashSet<>();
        for (TableShape t : plan.sources()) {
          tables.add(SqlIdentifiers.quote(t.schema(), t.name()));
        }
        s.execute("CREATE PUBLICATION " + SqlIdentifiers.quote(replicationName) + " FOR TABLE "
            + String.join(", ", tables));
      }
      c.commit();
      return job;
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(autoCommit);
    }
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
      // each part with its length, so no two (database, schema, view) triples hash the same text
      String parts = database.length() + ":" + database + schema.length() + ":" + schema + name.length() + ":" + name;
      byte[] digest = sha.digest(parts.getBytes(StandardCharsets.UTF_8));
      return "dvf_" + HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
