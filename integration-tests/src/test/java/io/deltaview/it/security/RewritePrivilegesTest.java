package io.deltaview.it.security;

import static io.deltaview.it.DeltaviewDatabase.await;
import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.explain;
import static io.deltaview.it.DeltaviewDatabase.hits;
import static io.deltaview.it.DeltaviewDatabase.rows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.driver.DeltaviewOptions;
import io.deltaview.it.DeltaviewDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A query is answered from a result table only when the connection's role may read everything the view
 * reads and no row-level security applies to it; otherwise it passes through, and PostgreSQL answers. The
 * oracle throughout is PostgreSQL itself: the same SQL run as the same role on plain pgjdbc must give the same
 * rows, or the same error. Result tables are readable by the application roles through {@code ALTER DEFAULT
 * PRIVILEGES} (a common set-up, and the one that made a rewrite leak base tables the role may not read).
 *
 * <p>Roles (cluster-wide, so named after this class's database): the owner (the fixture's superuser, who
 * creates the views); {@code app}, which may read {@code accounts} and, bypassing row-level security,
 * {@code sales}, but not {@code secret}; {@code tenant}, under a policy on {@code sales}; {@code analyst}, with
 * SELECT on three columns of {@code accounts} only; {@code reader}, which may read {@code accounts} but no
 * result table; and roles whose privileges the tests change.
 */
class RewritePrivilegesTest {

  static final String SECRET = "SELECT owner_name, count(*) AS n FROM secret GROUP BY owner_name ORDER BY owner_name";
  static final String SALES = "SELECT region, sum(amount) AS total, count(*) AS n FROM sales GROUP BY region"
      + " ORDER BY region";
  static final String BALANCES = "SELECT region, sum(balance) AS total, count(*) AS n FROM accounts"
      + " GROUP BY region ORDER BY region";
  static final String SSN = "SELECT region, count(ssn) AS with_ssn FROM accounts GROUP BY region ORDER BY region";
  static final String NOTES = "SELECT author, count(*) AS n FROM notes GROUP BY author ORDER BY author";

  static DeltaviewDatabase db;
  static String app;
  static String tenant;
  static String analyst;
  static String reader;
  static String flip;
  static String failing;
  static String noteOwner;

  @BeforeAll
  static void setUp() throws Exception {
    db = new DeltaviewDatabase("rewrite_privs");
    String prefix = withoutCredentials(db.pgUrl).replaceAll("\\?.*", "");
    prefix = prefix.substring(prefix.lastIndexOf('/') + 1);
    app = prefix + "_app";
    tenant = prefix + "_tenant";
    analyst = prefix + "_analyst";
    reader = prefix + "_reader";
    flip = prefix + "_flip";
    failing = prefix + "_failing";
    noteOwner = prefix + "_notes";
    try (Connection owner = db.plain()) {
      for (String role : List.of(app, tenant, analyst, reader, flip, failing, noteOwner)) {
        exec(owner, "CREATE ROLE " + role + " LOGIN PASSWORD 'pw'");
      }
      exec(owner, "ALTER ROLE " + app + " BYPASSRLS");
      exec(owner, "GRANT " + tenant + " TO " + app); // so that app can SET ROLE to the tenant
      exec(owner, "CREATE TABLE secret (id int PRIMARY KEY, owner_name text NOT NULL, payload text)");
      exec(owner, "INSERT INTO secret SELECT g, 'owner' || (g % 3), 'payload ' || g FROM generate_series(1, 30) g");
      exec(owner, "CREATE TABLE sales (id int PRIMARY KEY, tenant int NOT NULL, region text NOT NULL,"
          + " amount numeric(10,2) NOT NULL)");
      exec(owner, "INSERT INTO sales SELECT g, 1 + g % 3, CASE WHEN g % 2 = 0 THEN 'north' ELSE 'south' END,"
          + " g * 1.5 FROM generate_series(1, 60) g");
      exec(owner, "ALTER TABLE sales ENABLE ROW LEVEL SECURITY");
      exec(owner, "CREATE POLICY tenant_rows ON sales USING (tenant = current_setting('app.tenant', true)::int)");
      exec(owner, "CREATE TABLE accounts (id int PRIMARY KEY, region text NOT NULL, balance numeric(10,2) NOT NULL,"
          + " ssn text)");
      exec(owner, "INSERT INTO accounts SELECT g, CASE WHEN g % 3 = 0 THEN 'east' ELSE 'west' END, g * 10,"
          + " CASE WHEN g % 4 = 0 THEN NULL ELSE 'ssn-' || g END FROM generate_series(1, 40) g");
      exec(owner, "CREATE TABLE notes (id int PRIMARY KEY, author text NOT NULL, body text)");
      exec(owner, "INSERT INTO notes SELECT g, 'a' || (g % 2), 'note' FROM generate_series(1, 10) g");
      exec(owner, "ALTER TABLE notes OWNER TO " + noteOwner);
      exec(owner, "GRANT SELECT ON sales, accounts TO " + app + ", " + tenant + ", " + flip + ", " + failing);
      exec(owner, "GRANT SELECT ON accounts TO " + reader);
      exec(owner, "GRANT SELECT (id, region, balance) ON accounts TO " + analyst);
      // Every table created from now on (the result tables) is readable by the application roles.
      exec(owner, "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO " + String.join(", ", app,
          tenant, analyst, flip, failing, noteOwner));
    }
    try (Connection dv = db.deltaview()) {
      exec(dv, "CREATE INCREMENTAL VIEW secret_counts AS " + unordered(SECRET));
      exec(dv, "CREATE INCREMENTAL VIEW sales_by_region AS " + unordered(SALES));
      exec(dv, "CREATE INCREMENTAL VIEW balances_by_region AS " + unordered(BALANCES));
      exec(dv, "CREATE INCREMENTAL VIEW ssn_by_region AS " + unordered(SSN));
      exec(dv, "CREATE INCREMENTAL VIEW notes_by_author AS " + unordered(NOTES));
      exec(dv, "CREATE INCREMENTAL VIEW region_sizes AS SELECT region, count(*) AS accounts FROM accounts"
          + " GROUP BY region");
    }
  }

  static String unordered(String query) {
    return query.substring(0, query.indexOf(" ORDER BY"));
  }

  static Properties as(String role, String... more) {
    Properties p = new Properties();
    p.setProperty("user", role);
    p.setProperty("password", "pw");
    for (int i = 0; i < more.length; i += 2) {
      p.setProperty(more[i], more[i + 1]);
    }
    return p;
  }

  /** {@code url} without {@code user}/{@code password} parameters (they would override the role's). */
  static String withoutCredentials(String url) {
    int q = url.indexOf('?');
    if (q < 0) {
      return url;
    }
    List<String> kept = new ArrayList<>();
    for (String param : url.substring(q + 1).split("&")) {
      if (!param.startsWith("user=") && !param.startsWith("password=")) {
        kept.add(param);
      }
    }
    return url.substring(0, q) + (kept.isEmpty() ? "" : "?" + String.join("&", kept));
  }

  /** A plain pgjdbc connection as {@code role}: the oracle. */
  static Connection plainAs(String role, String... options) throws SQLException {
    return DriverManager.getConnection(withoutCredentials(db.pgUrl), as(role, options));
  }

  /** A Deltaview connection as {@code role}, strongly consistent, so that a served answer is exact. */
  static Connection deltaviewAs(String role, String... options) throws SQLException {
    Properties p = as(role, options);
    p.setProperty(DeltaviewOptions.CONSISTENCY, "strong");
    p.setProperty(DeltaviewOptions.STRONG_TIMEOUT_MS, "30000");
    return DriverManager.getConnection(withoutCredentials(db.deltaviewUrl), p);
  }

  /** The rows of {@code sql}, or {@code ERROR <sqlstate>}: what an application gets. */
  static List<List<String>> outcome(Connection c, String sql) {
    try {
      return rows(c, sql);
    } catch (SQLException e) {
      return List.of(List.of("ERROR", String.valueOf(e.getSQLState())));
    }
  }

  /** Runs {@code sql} as {@code role} through Deltaview and on plain pgjdbc; they must agree. Returns it. */
  static List<List<String>> assertAsPostgres(String role, String sql, String... options) throws SQLException {
    try (Connection plain = plainAs(role, options); Connection dv = deltaviewAs(role, options)) {
      List<List<String>> expected = outcome(plain, sql);
      assertEquals(expected, outcome(dv, sql), "as " + role + ": " + sql);
      return expected;
    }
  }

  static List<String> explainAs(String role, String sql, String... options) throws SQLException {
    try (Connection dv = deltaviewAs(role, options)) {
      return explain(dv, sql);
    }
  }

  static void assertPassesThrough(String role, String sql, String reason, String... options) throws SQLException {
    List<String> plan = explainAs(role, sql, options);
    assertEquals("f", plan.get(0), "as " + role + ", expected a pass-through: " + plan);
    assertTrue(plan.get(3) != null && plan.get(3).contains(reason), "reason: " + plan.get(3));
  }

  static List<List<String>> owners(String sql) throws SQLException {
    try (Connection c = db.plain()) {
      return rows(c, sql);
    }
  }

  @Test
  void aRoleWithoutSelectOnABaseTableReadsNothingThroughItsView() throws Exception {
    assertEquals(List.of(List.of("ERROR", "42501")), assertAsPostgres(app, SECRET),
        "app may read the result table secret_counts, but not secret: PostgreSQL's permission error");
    assertPassesThrough(app, SECRET, "role " + app + " may not read table public.secret");
    assertPassesThrough(app, SECRET, "not served to this role: public.secret_counts");
    // what the view would have answered really is readable by app: only the rewrite was withheld
    try (Connection dv = deltaviewAs(app)) {
      assertEquals(3, rows(dv, "SELECT * FROM secret_counts").size());
    }
  }

  @Test
  void aTenantUnderRowLevelSecuritySeesOnlyItsOwnRows() throws Exception {
    List<List<String>> tenantOne = assertAsPostgres(tenant, SALES, "options", "-c app.tenant=1");
    assertNotEquals(owners(SALES), tenantOne, "the policy filters what the tenant sees");
    assertEquals(2, tenantOne.size());
    assertPassesThrough(tenant, SALES, "row-level security applies to role " + tenant + " on table public.sales",
        "options", "-c app.tenant=1");
    // the same role with another setting of the policy's variable, set in the session
    try (Connection plain = plainAs(tenant); Connection dv = deltaviewAs(tenant)) {
      exec(plain, "SET app.tenant = '2'");
      exec(dv, "SET app.tenant = '2'");
      List<List<String>> tenantTwo = outcome(plain, SALES);
      assertNotEquals(tenantOne, tenantTwo);
      assertEquals(tenantTwo, outcome(dv, SALES));
    }
  }

  @Test
  void aRoleThatMayReadTheBaseTablesButNotTheResultTableGetsItsAnswer() throws Exception {
    assertEquals(owners(BALANCES), assertAsPostgres(reader, BALANCES), "its answer, not 42501");
    assertPassesThrough(reader, BALANCES, "role " + reader + " may not read result table public.balances_by_region");
  }

  @Test
  void columnGrantsServeViewsOverGrantedColumnsOnly() throws Exception {
    assertEquals(owners(BALANCES), assertAsPostgres(analyst, BALANCES));
    List<String> served = explainAs(analyst, BALANCES);
    assertEquals(List.of("t", "public.balances_by_region"), served.subList(0, 2), served.toString());

    assertEquals(List.of(List.of("ERROR", "42501")), assertAsPostgres(analyst, SSN), "ssn is not granted");
    assertPassesThrough(analyst, SSN, "role " + analyst + " may not read column public.accounts.ssn");
    // a roll-up the granted columns would answer, from a view that also reads a column that is not granted
    String rollup = "SELECT count(ssn) AS with_ssn FROM accounts";
    assertEquals(List.of(List.of("ERROR", "42501")), assertAsPostgres(analyst, rollup));
  }

  @Test
  void aRoleThatMayReadEverythingIsServed() throws Exception {
    // EXPLAIN waits for app's runtime to start (queries pass through until it has), whichever test runs first.
    assertEquals("t", explainAs(app, BALANCES).get(0));
    try (Connection owner = db.deltaview()) {
      long before = hits(owner, "public.balances_by_region");
      assertEquals(owners(BALANCES), assertAsPostgres(app, BALANCES));
      assertEquals(before + 1, hits(owner, "public.balances_by_region"), "served from the view");
    }
    List<String> plan = explainAs(app, SALES);
    assertEquals("t", plan.get(0), "app bypasses row-level security: " + plan);
    assertEquals(owners(SALES), assertAsPostgres(app, SALES));
  }

  @Test
  void revokeThenGrantTakeEffectWithinAboutASecond() throws Exception {
    try (Connection owner = db.plain(); Connection dv = deltaviewAs(flip)) {
      assertEquals("t", explain(dv, BALANCES).get(0));
      exec(owner, "REVOKE SELECT ON accounts FROM " + flip);
      await("the REVOKE to stop the rewrite", Duration.ofSeconds(10), () -> {
        List<String> plan = explain(dv, BALANCES);
        return plan.get(0).equals("f") ? null : plan.toString();
      });
      assertTrue(explain(dv, BALANCES).get(3).contains("role " + flip + " may not read table public.accounts"));
      assertEquals(List.of(List.of("ERROR", "42501")), assertAsPostgres(flip, BALANCES));

      exec(owner, "GRANT SELECT (region, balance) ON accounts TO " + flip);
      await("the column GRANT to restore the rewrite", Duration.ofSeconds(10), () -> {
        List<String> plan = explain(dv, BALANCES);
        return plan.get(0).equals("t") ? null : plan.toString();
      });
      assertEquals(owners(BALANCES), assertAsPostgres(flip, BALANCES));

      exec(owner, "ALTER TABLE accounts ENABLE ROW LEVEL SECURITY");
      try {
        await("row-level security to stop the rewrite", Duration.ofSeconds(10), () -> {
          List<String> plan = explain(dv, BALANCES);
          return plan.get(0).equals("f") && plan.get(3).contains("row-level security") ? null : plan.toString();
        });
        assertEquals(List.of(), assertAsPostgres(flip, BALANCES), "no policy: the role sees no rows");
      } finally {
        exec(owner, "ALTER TABLE accounts DISABLE ROW LEVEL SECURITY");
      }
      await("the rewrite to come back", Duration.ofSeconds(10), () -> {
        List<String> plan = explain(dv, BALANCES);
        return plan.get(0).equals("t") ? null : plan.toString();
      });
    }
  }

  @Test
  void rowLevelSecuritySwitchedOnThroughDeltaviewTakesEffectAtTheNextQuery() throws Exception {
    try (Connection dv = deltaviewAs(noteOwner)) {
      assertEquals("t", explain(dv, NOTES).get(0), "the table's owner is served");
      assertEquals(owners(NOTES), outcome(dv, NOTES));
      exec(dv, "ALTER TABLE notes ENABLE ROW LEVEL SECURITY");
      exec(dv, "/* applies to the owner too */ ALTER TABLE notes FORCE ROW LEVEL SECURITY");
      try {
        // no waiting: DDL through this runtime reloads it before its next rewrite
        List<String> plan = explain(dv, NOTES);
        assertEquals("f", plan.get(0), plan.toString());
        assertTrue(plan.get(3).contains("row-level security applies to role " + noteOwner + " on table public.notes"),
            plan.get(3));
        assertEquals(List.of(), outcome(dv, NOTES), "forced, without a policy, the owner sees nothing");
      } finally {
        exec(dv, "ALTER TABLE notes NO FORCE ROW LEVEL SECURITY");
        exec(dv, "ALTER TABLE notes DISABLE ROW LEVEL SECURITY");
      }
      assertEquals("t", explain(dv, NOTES).get(0));
    }
  }

  @Test
  void aRewriteRefusedWith42501RunsTheOriginalAndTheViewIsDropped() throws Exception {
    try (Connection owner = db.plain(); Connection dv = deltaviewAs(failing);
         Connection autosaving = deltaviewAs(failing, "autosave", "always")) {
      assertEquals("t", explain(dv, BALANCES).get(0));
      assertEquals(owners(BALANCES), outcome(dv, BALANCES));
      // Revoked elsewhere: the next query very likely comes before the privilege poll has seen it, so the
      // rewrite itself fails with 42501; either way the answer is PostgreSQL's.
      exec(owner, "REVOKE SELECT ON balances_by_region FROM " + failing);
      assertEquals(owners(BALANCES), outcome(dv, BALANCES), "its answer, not 42501");
      List<String> plan = explain(dv, BALANCES);
      assertEquals("f", plan.get(0), plan.toString());
      assertTrue(plan.get(3).contains("42501") || plan.get(3).contains("may not read result table"), plan.get(3));

      exec(owner, "GRANT SELECT ON balances_by_region TO " + failing);
      await("the GRANT to restore the rewrite", Duration.ofSeconds(10), () -> {
        List<String> p = explain(dv, BALANCES);
        return p.get(0).equals("t") ? null : p.toString();
      });
      // inside a transaction, with pgjdbc rolling a failed statement back to its savepoint
      await("the GRANT to reach the autosaving connection's runtime", Duration.ofSeconds(10), () -> {
        List<String> p = explain(autosaving, BALANCES);
        return p.get(0).equals("t") ? null : p.toString();
      });
      autosaving.setAutoCommit(false);
      assertEquals(owners(BALANCES), outcome(autosaving, BALANCES));
      exec(owner, "REVOKE SELECT ON balances_by_region FROM " + failing);
      assertEquals(owners(BALANCES), outcome(autosaving, BALANCES), "its answer, and the transaction goes on");
      assertEquals(List.of(List.of("1")), rows(autosaving, "SELECT 1"));
      autosaving.commit();
    }
  }

  /** SQL that changes the session's role or search_path, hidden from a naive look at the first word. */
  static final List<String> HOSTILE = List.of(
      "/* harmless */ SET ROLE %s",
      "-- a comment line\nSET ROLE %s",
      "/*+ incremental */ SET ROLE %s",
      "/* a /* nested */ comment */ SET SESSION ROLE %s",
      "SELECT 1; /* then */ SET ROLE %s",
      "SELECT set_config('role', '%s', false)",
      "SELECT U&\"\\0073et_config\"('role', '%s', false)");

  @Test
  void hostileSessionSettingsAreNoticedAndNothingLeaks() throws Exception {
    List<List<String>> all = owners(SALES);
    for (String template : HOSTILE) {
      String hostile = template.formatted(tenant);
      try (Connection plain = plainAs(app); Connection dv = deltaviewAs(app)) {
        assertEquals("t", explain(dv, SALES).get(0), "served before: " + hostile);
        assertEquals(all, outcome(dv, SALES));
        for (Connection c : List.of(plain, dv)) {
          try (Statement s = c.createStatement()) {
            s.execute(hostile);
          }
          exec(c, "SET app.tenant = '3'");
        }
        List<List<String>> expected = outcome(plain, SALES);
        assertNotEquals(all, expected, "as the tenant, the policy applies: " + hostile);
        assertEquals(expected, outcome(dv, SALES), hostile);
        List<String> plan = explain(dv, SALES);
        assertEquals("f", plan.get(0), hostile + " -> " + plan);
        assertTrue(plan.get(3).contains("changed its search_path or role"), plan.get(3));
      }
    }
  }

  @Test
  void hiddenSearchPathChangesStopRewritingToo() throws Exception {
    try (Connection owner = db.plain()) {
      exec(owner, "CREATE SCHEMA IF NOT EXISTS shadow");
      exec(owner, "CREATE TABLE IF NOT EXISTS shadow.accounts (id int, region text, balance numeric(10,2), ssn text)");
      exec(owner, "GRANT USAGE ON SCHEMA shadow TO " + app);
      exec(owner, "GRANT SELECT ON shadow.accounts TO " + app);
    }
    for (String hostile : List.of("/* x */ SET search_path TO shadow, public", "-- y\nset search_path = shadow",
        "SELECT pg_catalog.set_config('search_path', 'shadow', false)",
        "UPDATE pg_settings SET setting = 'shadow' WHERE name = 'search_path'")) {
      try (Connection plain = plainAs(app); Connection dv = deltaviewAs(app)) {
        assertEquals("t", explain(dv, BALANCES).get(0));
        exec(plain, hostile);
        exec(dv, hostile);
        assertEquals(List.of(), outcome(plain, BALANCES), "shadow.accounts is empty");
        assertEquals(outcome(plain, BALANCES), outcome(dv, BALANCES), hostile);
      }
    }
  }

  @Test
  void showListsOnlyViewsWhoseResultTableTheCallerMayRead() throws Exception {
    assertEquals(List.of(), show(reader), "reader may read no result table");
    try (Connection owner = db.plain()) {
      exec(owner, "GRANT SELECT ON balances_by_region TO " + reader);
      try {
        assertEquals(List.of("public.balances_by_region"), names(show(reader)));
      } finally {
        exec(owner, "REVOKE SELECT ON balances_by_region FROM " + reader);
      }
    }
    List<String> appSees = names(show(app));
    assertTrue(appSees.containsAll(List.of("public.balances_by_region", "public.sales_by_region")), appSees.toString());
  }

  @Test
  void showGivesNoRowCountWhereRowLevelSecurityFiltersTheResultTableForTheCaller() throws Exception {
    try (Connection owner = db.plain()) {
      exec(owner, "ALTER TABLE region_sizes ENABLE ROW LEVEL SECURITY");
      exec(owner, "CREATE POLICY only_east ON region_sizes USING (region = 'east')");
      try {
        // app bypasses row-level security; analyst does not
        String appCounts = countAs(app, "region_sizes");
        String analystCounts = countAs(analyst, "region_sizes");
        assertEquals("2", appCounts);
        assertEquals("1", analystCounts);
        assertEquals(appCounts, rowCount(show(app), "public.region_sizes"), "the engine's count, which app could make");
        // The whole table's count is not one PostgreSQL would give analyst, and SHOW scans no result table.
        assertEquals("null", rowCount(show(analyst), "public.region_sizes"));
      } finally {
        exec(owner, "DROP POLICY only_east ON region_sizes");
        exec(owner, "ALTER TABLE region_sizes DISABLE ROW LEVEL SECURITY");
      }
    }
  }

  @Test
  void showWithoutAnEngineGivesNoRowCounts() throws Exception {
    try (Connection dv = db.deltaview(DeltaviewOptions.ENGINE, "none")) {
      List<List<String>> rows = new ArrayList<>();
      try (Statement s = dv.createStatement(); ResultSet rs = s.executeQuery("SHOW INCREMENTAL VIEWS")) {
        while (rs.next()) {
          rows.add(List.of(rs.getString("name"), String.valueOf(rs.getString("row_count"))));
        }
      }
      // Row counts live in the maintaining process; another one does not scan result tables for them.
      assertTrue(rows.contains(List.of("public.secret_counts", "null")), rows.toString());
      assertTrue(rows.stream().allMatch(r -> r.get(1).equals("null")), rows.toString());
    }
  }

  static String countAs(String role, String table) throws SQLException {
    try (Connection plain = plainAs(role)) {
      return rows(plain, "SELECT count(*) FROM " + table).get(0).get(0);
    }
  }

  /** SHOW INCREMENTAL VIEWS as {@code role}: name and row_count of each row. */
  static List<List<String>> show(String role) throws SQLException {
    List<List<String>> out = new ArrayList<>();
    try (Connection dv = deltaviewAs(role); Statement s = dv.createStatement();
         ResultSet rs = s.executeQuery("SHOW INCREMENTAL VIEWS")) {
      while (rs.next()) {
        out.add(List.of(rs.getString("name"), String.valueOf(rs.getString("row_count"))));
      }
    }
    return out;
  }

  static List<String> names(List<List<String>> show) {
    return show.stream().map(r -> r.get(0)).sorted().toList();
  }

  /** The row count SHOW gave for {@code view} (null when it gave none). */
  static String rowCount(List<List<String>> show, String view) {
    for (List<String> row : show) {
      if (row.get(0).equals(view)) {
        return row.get(1);
      }
    }
    throw new AssertionError(view + " not in " + show);
  }
}
