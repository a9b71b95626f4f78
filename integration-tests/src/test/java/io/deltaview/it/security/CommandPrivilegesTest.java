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
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

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

  @Test
  void aRoleWithoutSelectCannotCreateAViewOverATable() throws Exception {
    try (Connection c = roles.deltaview(app)) {
      SQLException e = assertThrows(SQLException.class, () -> exec(c,
          "CREATE INCREMENTAL VIEW " + app + ".leak AS SELECT id, payload FROM public.secret"));
      assertEquals("42501", e.getSQLState(), e.getMessage());
    }
    assertNothingLeftOf(app + ".leak");
  }

  @Test
  void columnGrantsDecideColumnByColumn() throws Exception {
    try (Connection c = roles.deltaview(columns)) {
      SQLException e = assertThrows(SQLException.class, () -> exec(c,
          "CREATE INCREMENTAL VIEW " + columns + ".pb AS SELECT id, b FROM public.pub"));
      assertEquals("42501", e.getSQLState(), e.getMessage());
      assertNothingLeftOf(columns + ".pb");
      exec(c, "CREATE INCREMENTAL VIEW " + columns + ".pa AS SELECT id, a FROM public.pub WHERE a > 3");
      assertEquals(7, scalarLong(c, "SELECT count(*) FROM " + columns + ".pa"));
      exec(c, "DROP INCREMENTAL VIEW " + columns + ".pa");
    }
  }

  @Test
  void rowLevelSecurityHidingRowsFromTheCreatorRefusesTheView() throws Exception {
    try (Connection c = roles.deltaview(tenant)) {
      SQLException e = assertThrows(SQLException.class, () -> exec(c,
          "CREATE INCREMENTAL VIEW " + tenant + ".totals AS SELECT tenant, sum(amount) AS s FROM public.sales"
              + " GROUP BY tenant"));
      assertEquals("42501", e.getSQLState(), e.getMessage());
      assertTrue(e.getMessage().contains("row-level security"), e.getMessage());
    }
    assertNothingLeftOf(tenant + ".totals");
  }

  @Test
  void creatingNeedsCreateOnTheSchema() throws Exception {
    try (Connection c = roles.deltaview(app)) {
      SQLException e = assertThrows(SQLException.class, () -> exec(c,
          "CREATE INCREMENTAL VIEW public.app_totals AS SELECT customer, count(*) AS n FROM public.orders"
              + " GROUP BY customer"));
      assertEquals("42501", e.getSQLState(), e.getMessage());
    }
    assertNothingLeftOf("public.app_totals");
  }

  @Test
  void theCreatorReadsItsViewNobodyWritesItAndOnlyOwnersDropIt() throws Exception {
    String view = app + ".totals";
    try (Connection c = roles.deltaview(app)) {
      exec(c, "CREATE INCREMENTAL VIEW " + view + " AS SELECT customer, sum(amount) AS total FROM public.orders"
          + " GROUP BY customer");
    }
    try (Connection c = roles.plain(app)) {
      assertEquals(5, scalarLong(c, "SELECT count(*) FROM " + view));
      SQLException e = assertThrows(SQLException.class, () -> exec(c, "INSERT INTO " + view + " VALUES (99, 1)"));
      assertEquals("42501", e.getSQLState(), e.getMessage());
      assertThrows(SQLException.class, () -> exec(c, "DELETE FROM " + view));
    }
    try (Connection c = db.plain()) {
      assertEquals(List.of(List.of(app)), rows(c, "SELECT owner FROM deltaview.views WHERE view_name = 'totals'"));
    }
    try (Connection c = roles.deltaview(other)) {
      SQLException e = assertThrows(SQLException.class, () -> exec(c, "DROP INCREMENTAL VIEW " + view));
      assertEquals("42501", e.getSQLState(), e.getMessage());
      assertEquals(5, scalarLong(engineConnection, "SELECT count(*) FROM " + view));
    }
    try (Connection c = roles.deltaview(app)) {
      exec(c, "DROP INCREMENTAL VIEW " + view);
    }
    assertNothingLeftOf(view);
  }

  @Test
  void nobodyButTheOwnerDropsAnotherRolesView() throws Exception {
    exec(engineConnection, "CREATE INCREMENTAL VIEW public.owners AS SELECT customer, count(*) AS n FROM orders"
        + " GROUP BY customer");
    try (Connection c = roles.deltaview(app)) {
      SQLException e = assertThrows(SQLException.class, () -> exec(c, "DROP INCREMENTAL VIEW public.owners"));
      assertEquals("42501", e.getSQLState(), e.getMessage());
      assertThrows(SQLException.class, () -> exec(c, "DROP INCREMENTAL VIEW IF EXISTS public.owners"));
    }
    assertEquals(5, scalarLong(engineConnection, "SELECT count(*) FROM public.owners"));
    exec(engineConnection, "DROP INCREMENTAL VIEW public.owners");
  }

  @Test
  void hostileDefinitionsNeverRunAnything() throws Exception {
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
    try (Connection c = roles.deltaview(app)) {
      for (String definition : hostile) {
        SQLException e = assertThrows(SQLException.class,
            () -> exec(c, "CREATE INCREMENTAL VIEW " + app + ".hostile AS " + definition), definition);
        assertTrue(List.of("42601", "42P02", "42501", "0A000").contains(e.getSQLState()),
            definition + " -> " + e.getSQLState() + " " + e.getMessage());
      }
      // Literals that look like statements stay literals: the view holds the text itself.
      String literal = "SELECT id, E'\\'; GRANT SELECT ON public.secret TO " + app + "; --' AS note"
          + " FROM public.orders WHERE id = 1";
      exec(c, "CREATE INCREMENTAL VIEW " + app + ".literal AS " + literal);
      assertEquals(List.of(List.of("1", "'; GRANT SELECT ON public.secret TO " + app + "; --")),
          rows(c, "SELECT id, note FROM " + app + ".literal"));
      exec(c, "DROP INCREMENTAL VIEW " + app + ".literal");
    }
    try (Connection c = db.plain()) {
      assertFalse(hasSelect(c, app, "public.secret"));
    }
    assertNothingLeftOf(app + ".hostile");
    assertEquals(relations, userRelations(), "relations outside the system schemas");
  }

  @Test
  void hostileNamesAreQuotedOrRefused() throws Exception {
    try (Connection c = roles.deltaview(app)) {
      String weird = app + ".\"a\"\"b; DROP TABLE public.orders; --\"";
      exec(c, "CREATE INCREMENTAL VIEW " + weird + " AS SELECT customer, count(*) AS n FROM public.orders"
          + " GROUP BY customer");
      assertEquals(5, scalarLong(c, "SELECT count(*) FROM " + weird));
      exec(c, "DROP INCREMENTAL VIEW " + weird);
      String unicode = app + ".\"vüé ✓\"";
      exec(c, "CREATE INCREMENTAL VIEW " + unicode + " AS SELECT id FROM public.orders WHERE customer = 1");
      assertEquals(10, scalarLong(c, "SELECT count(*) FROM " + unicode));
      exec(c, "DROP INCREMENTAL VIEW " + unicode);
      String tooLong = "v".repeat(60) + "ééé";
      SQLException e = assertThrows(SQLException.class, () -> exec(c,
          "CREATE INCREMENTAL VIEW " + app + "." + tooLong + " AS SELECT id FROM public.orders"));
      assertEquals("42622", e.getSQLState(), e.getMessage());
    }
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
