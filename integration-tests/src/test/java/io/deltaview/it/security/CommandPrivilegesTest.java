package io.deltaview.it.security;

import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.rows;
import static io.deltaview.it.DeltaviewDatabase.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.DeltaviewDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * CREATE, DROP and the maintainer lock with several roles, PostgreSQL deciding what each may do: the engine
 * runs as the role that opened the first connection (here the server's superuser), and every other role's
 * commands must get exactly what that role could do by hand — never the engine's privileges.
 */
class CommandPrivilegesTest {

  static DeltaviewDatabase db;
  static Roles roles;
  static String app;
  static String tenant;
  static String columns;
  static String other;
  /** The first Deltaview connection: its role (the fixture's superuser) is the engine's. */
  static Connection engineConnection;

  @BeforeAll
  static void setUp() throws Exception {
    db = new DeltaviewDatabase("cmdpriv");
    roles = new Roles(db);
    app = roles.create("app", "");
    tenant = roles.create("tenant", "");
    columns = roles.create("cols", "");
    other = roles.create("other", "");
    try (Connection c = db.plain()) {
      exec(c, "REVOKE CREATE ON SCHEMA public FROM PUBLIC");
      exec(c, "CREATE TABLE secret (id int PRIMARY KEY, payload text)");
      exec(c, "INSERT INTO secret VALUES (1, 'launch codes'), (2, 'salaries')");
      exec(c, "CREATE TABLE orders (id int PRIMARY KEY, customer int NOT NULL, amount numeric(10,2))");
      exec(c, "INSERT INTO orders SELECT g, g % 5, g * 1.5 FROM generate_series(1, 50) g");
      exec(c, "CREATE TABLE pub (id int PRIMARY KEY, a int, b int)");
      exec(c, "INSERT INTO pub SELECT g, g, -g FROM generate_series(1, 10) g");
      exec(c, "CREATE TABLE sales (id int PRIMARY KEY, tenant int NOT NULL, amount int)");
      exec(c, "INSERT INTO sales SELECT g, g % 3, g FROM generate_series(1, 30) g");
      exec(c, "ALTER TABLE sales ENABLE ROW LEVEL SECURITY");
      exec(c, "CREATE POLICY by_tenant ON sales USING (tenant = 1)");
      exec(c, "CREATE TABLE ident (id int PRIMARY KEY, v int)");
      exec(c, "INSERT INTO ident VALUES (1, 1), (2, 0)");
      for (String role : List.of(app, tenant, columns, other)) {
        exec(c, "CREATE SCHEMA " + role + " AUTHORIZATION " + role);
      }
      exec(c, "GRANT SELECT ON orders TO " + app + ", " + other);
      exec(c, "GRANT SELECT ON sales TO " + tenant);
      exec(c, "GRANT SELECT (id, a) ON pub TO " + columns);
    }
    engineConnection = db.deltaview();
    rows(engineConnection, "SHOW INCREMENTAL VIEWS"); // waits until this JVM's engine has started
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (engineConnection != null) {
      engineConnection.close();
    }
    EngineRegistry.stop(db.pgUrl);
    roles.close();
  }

  /**
   * The two ways a role asks for a view: the driver's command on its own connection, checked there, and the
   * SQL functions from a plain session (as psql or a migration would), carried out by the maintaining engine,
   * which checks the recorded role by name. Both must allow and refuse exactly the same.
   */
  enum Path {
    COMMAND {
      @Override
      void create(String role, String view, String definition) throws Exception {
        try (Connection c = roles.deltaview(role)) {
          exec(c, "CREATE INCREMENTAL VIEW " + view + " AS " + definition);
        }
      }

      @Override
      void drop(String role, String view, boolean ifExists) throws Exception {
        try (Connection c = roles.deltaview(role)) {
          exec(c, "DROP INCREMENTAL VIEW " + (ifExists ? "IF EXISTS " : "") + view);
        }
      }
    },
    FUNCTION {
      @Override
      void create(String role, String view, String definition) throws Exception {
        try (Connection c = roles.plain(role);
             PreparedStatement ps = c.prepareStatement("SELECT deltaview.create_view(?, ?)")) {
          ps.setString(1, view);
          ps.setString(2, definition);
          awaitOutcome(c, ps);
        }
      }

      @Override
      void drop(String role, String view, boolean ifExists) throws Exception {
        try (Connection c = roles.plain(role);
             PreparedStatement ps = c.prepareStatement("SELECT deltaview.drop_view(?, ?)")) {
          ps.setString(1, view);
          ps.setBoolean(2, ifExists);
          awaitOutcome(c, ps);
        }
      }
    };

    abstract void create(String role, String view, String definition) throws Exception;

    abstract void drop(String role, String view, boolean ifExists) throws Exception;

    /** Runs the request and waits for the maintainer's outcome; a failure is thrown as recorded. */
    private static void awaitOutcome(Connection c, PreparedStatement request) throws Exception {
      long id;
      try (ResultSet rs = request.executeQuery()) {
        rs.next();
        id = rs.getLong(1);
      }
      String[] outcome = new String[3];
      DeltaviewDatabase.await("request " + id + " to be carried out", Duration.ofSeconds(60), () -> {
        List<List<String>> r = rows(c, "SELECT state, error_sqlstate, error_message FROM deltaview.view_requests"
            + " WHERE id = " + id);
        r.get(0).toArray(outcome);
        return List.of("pending", "running").contains(outcome[0]) ? "still " + outcome[0] : null;
      });
      if ("failed".equals(outcome[0])) {
        throw new SQLException(outcome[2], outcome[1]);
      }
      assertEquals("done", outcome[0]);
    }
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void aRoleWithoutSelectCannotCreateAViewOverATable(Path path) throws Exception {
    SQLException e = assertThrows(SQLException.class,
        () -> path.create(app, app + ".leak", "SELECT id, payload FROM public.secret"));
    assertEquals("42501", e.getSQLState(), e.getMessage());
    assertNothingLeftOf(app + ".leak");
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void columnGrantsDecideColumnByColumn(Path path) throws Exception {
    SQLException e = assertThrows(SQLException.class,
        () -> path.create(columns, columns + ".pb", "SELECT id, b FROM public.pub"));
    assertEquals("42501", e.getSQLState(), e.getMessage());
    assertNothingLeftOf(columns + ".pb");
    // Filtering on a column is reading it, as in PostgreSQL.
    e = assertThrows(SQLException.class,
        () -> path.create(columns, columns + ".pf", "SELECT id FROM public.pub WHERE b < 0"));
    assertEquals("42501", e.getSQLState(), e.getMessage());
    assertNothingLeftOf(columns + ".pf");
    path.create(columns, columns + ".pa", "SELECT id, a FROM public.pub WHERE a > 3");
    try (Connection c = roles.plain(columns)) {
      assertEquals(7, scalarLong(c, "SELECT count(*) FROM " + columns + ".pa"));
    }
    path.drop(columns, columns + ".pa", false);
    assertNothingLeftOf(columns + ".pa");
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void rowLevelSecurityHidingRowsFromTheCreatorRefusesTheView(Path path) throws Exception {
    SQLException e = assertThrows(SQLException.class, () -> path.create(tenant, tenant + ".totals",
        "SELECT tenant, sum(amount) AS s FROM public.sales GROUP BY tenant"));
    assertEquals("42501", e.getSQLState(), e.getMessage());
    assertTrue(e.getMessage().contains("row-level security"), e.getMessage());
    assertNothingLeftOf(tenant + ".totals");
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void creatingNeedsCreateOnTheSchema(Path path) throws Exception {
    SQLException e = assertThrows(SQLException.class, () -> path.create(app, "public.app_totals",
        "SELECT customer, count(*) AS n FROM public.orders GROUP BY customer"));
    assertEquals("42501", e.getSQLState(), e.getMessage());
    assertNothingLeftOf("public.app_totals");
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void theCreatorReadsItsViewNobodyWritesItAndOnlyOwnersDropIt(Path path) throws Exception {
    String view = app + ".totals";
    path.create(app, view, "SELECT customer, sum(amount) AS total FROM public.orders GROUP BY customer");
    try (Connection c = roles.plain(app)) {
      assertEquals(5, scalarLong(c, "SELECT count(*) FROM " + view));
      SQLException e = assertThrows(SQLException.class, () -> exec(c, "INSERT INTO " + view + " VALUES (99, 1)"));
      assertEquals("42501", e.getSQLState(), e.getMessage());
      assertThrows(SQLException.class, () -> exec(c, "DELETE FROM " + view));
    }
    try (Connection c = db.plain()) {
      assertEquals(List.of(List.of(app)), rows(c, "SELECT owner FROM deltaview.views WHERE view_name = 'totals'"));
    }
    SQLException e = assertThrows(SQLException.class, () -> path.drop(other, view, false));
    assertEquals("42501", e.getSQLState(), e.getMessage());
    assertEquals(5, scalarLong(engineConnection, "SELECT count(*) FROM " + view));
    path.drop(app, view, false);
    assertNothingLeftOf(view);
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void nobodyButTheOwnerDropsAnotherRolesView(Path path) throws Exception {
    exec(engineConnection, "CREATE INCREMENTAL VIEW public.owners AS SELECT customer, count(*) AS n FROM orders"
        + " GROUP BY customer");
    SQLException e = assertThrows(SQLException.class, () -> path.drop(app, "public.owners", false));
    assertEquals("42501", e.getSQLState(), e.getMessage());
    assertThrows(SQLException.class, () -> path.drop(app, "public.owners", true));
    assertEquals(5, scalarLong(engineConnection, "SELECT count(*) FROM public.owners"));
    exec(engineConnection, "DROP INCREMENTAL VIEW public.owners");
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void hostileDefinitionsNeverRunAnything(Path path) throws Exception {
    List<String> hostile = List.of(
        "SELECT 1 AS a WITH NO DATA; COMMIT; GRANT SELECT ON public.secret TO " + app + "; --",
        "SELECT 1 AS a FROM public.orders; GRANT SELECT ON public.secret TO " + app,
        "SELECT $$x$$ AS a FROM public.orders; GRANT SELECT ON public.secret TO " + app,
        "SELECT 'a' AS a FROM public.orders /* */; GRANT SELECT ON public.secret TO " + app,
        "SELECT id FROM public.orders WHERE id = ?",
        "SELECT id FROM public.orders WHERE id = $1",
        "GRANT SELECT ON public.secret TO " + app,
        "SELECT id FROM public.orders WITH NO DATA; CREATE TABLE public.pwned ()");
    long relations = userRelations();
    for (String definition : hostile) {
      SQLException e = assertThrows(SQLException.class, () -> path.create(app, app + ".hostile", definition),
          definition);
      assertTrue(List.of("42601", "42P02", "42501", "0A000").contains(e.getSQLState()),
          definition + " -> " + e.getSQLState() + " " + e.getMessage());
    }
    // Literals that look like statements stay literals: the view holds the text itself.
    String literal = "SELECT id, E'\\'; GRANT SELECT ON public.secret TO " + app + "; --' AS note"
        + " FROM public.orders WHERE id = 1";
    path.create(app, app + ".literal", literal);
    try (Connection c = roles.plain(app)) {
      assertEquals(List.of(List.of("1", "'; GRANT SELECT ON public.secret TO " + app + "; --")),
          rows(c, "SELECT id, note FROM " + app + ".literal"));
    }
    path.drop(app, app + ".literal", false);
    try (Connection c = db.plain()) {
      assertFalse(hasSelect(c, app, "public.secret"));
    }
    assertNothingLeftOf(app + ".hostile");
    assertEquals(relations, userRelations(), "relations outside the system schemas");
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void hostileNamesAreQuotedOrRefused(Path path) throws Exception {
    String weird = app + ".\"a\"\"b; DROP TABLE public.orders; --\"";
    path.create(app, weird, "SELECT customer, count(*) AS n FROM public.orders GROUP BY customer");
    try (Connection c = roles.plain(app)) {
      assertEquals(5, scalarLong(c, "SELECT count(*) FROM " + weird));
    }
    path.drop(app, weird, false);
    String unicode = app + ".\"vüé ✓\"";
    path.create(app, unicode, "SELECT id FROM public.orders WHERE customer = 1");
    try (Connection c = roles.plain(app)) {
      assertEquals(10, scalarLong(c, "SELECT count(*) FROM " + unicode));
    }
    path.drop(app, unicode, false);
    String tooLong = "v".repeat(60) + "ééé";
    SQLException e = assertThrows(SQLException.class,
        () -> path.create(app, app + "." + tooLong, "SELECT id FROM public.orders"));
    assertEquals("42622", e.getSQLState(), e.getMessage());
    try (Connection c = db.plain()) {
      assertEquals(50, scalarLong(c, "SELECT count(*) FROM orders"));
    }
  }

  @Test
  void replicaIdentityIsRestoredWhenNoViewNeedsTheTableAnyMore() throws Exception {
    assertEquals("d", replicaIdentity());
    exec(engineConnection, "CREATE INCREMENTAL VIEW public.ident_v AS SELECT id, v FROM ident");
    assertEquals("f", replicaIdentity());
    exec(engineConnection, "DROP INCREMENTAL VIEW public.ident_v");
    assertEquals("d", replicaIdentity());
    // A CREATE that fails after registering (the initial load divides by zero) leaves no trace either.
    assertThrows(SQLException.class,
        () -> exec(engineConnection, "CREATE INCREMENTAL VIEW public.ident_div AS SELECT id, 100 / v AS q FROM ident"));
    assertNothingLeftOf("public.ident_div");
    assertEquals("d", replicaIdentity());
  }

  private static String replicaIdentity() throws SQLException {
    try (Connection c = db.plain()) {
      return rows(c, "SELECT relreplident FROM pg_class WHERE oid = 'public.ident'::regclass").get(0).get(0);
    }
  }

  private static boolean hasSelect(Connection c, String role, String table) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT has_table_privilege(?, ?, 'SELECT')")) {
      ps.setString(1, role);
      ps.setString(2, table);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  private static long userRelations() throws SQLException {
    try (Connection c = db.plain()) {
      return scalarLong(c, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
          + " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND c.relkind = 'r'");
    }
  }

  /** No result table and no catalog row for {@code qualified} ({@code schema.name}, unquoted). */
  private static void assertNothingLeftOf(String qualified) throws SQLException {
    int dot = qualified.indexOf('.');
    String schema = qualified.substring(0, dot);
    String name = qualified.substring(dot + 1);
    try (Connection c = db.plain();
         PreparedStatement ps = c.prepareStatement("SELECT (SELECT count(*) FROM pg_class k JOIN pg_namespace n"
             + " ON n.oid = k.relnamespace WHERE n.nspname = ? AND k.relname = ?),"
             + " (SELECT count(*) FROM deltaview.views WHERE schema_name = ? AND view_name = ?)")) {
      ps.setString(1, schema);
      ps.setString(2, name);
      ps.setString(3, schema);
      ps.setString(4, name);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        assertEquals(0, rs.getLong(1), "result table " + qualified);
        assertEquals(0, rs.getLong(2), "catalog row " + qualified);
      }
    }
  }
}
