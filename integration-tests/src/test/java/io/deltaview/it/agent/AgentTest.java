package io.deltaview.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.it.DeltaviewDatabase;
import io.deltaview.it.fixture.PostgresFixture;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent, end to end: {@link AgentApp} runs in a child JVM with {@code -javaagent:deltaview-agent.jar}, plain
 * {@code jdbc:postgresql:} URLs and no Deltaview driver on its class path, against a fresh database each time.
 */
class AgentTest {

  static final List<String> PATHS = List.of("DriverManager", "Driver", "PGSimpleDataSource", "PGPoolingDataSource",
      "HikariJdbcUrl", "HikariDataSourceClassName");
  static final String WRAPPER = "io.deltaview.driver.jdbc.ConnectionWrapper";

  @TempDir
  Path work;

  private final PostgresFixture server = PostgresFixture.get();

  private AgentChild run(String agentArgument, List<String> jvmArgs, List<Path> extraClassPath, String scenario,
      String url) throws Exception {
    return AgentChild.run(work, agentArgument, jvmArgs, extraClassPath, scenario, url, server.user(),
        server.password());
  }

  private String expectedRows(String url) throws Exception {
    try (Connection c = server.connect(url)) {
      return DeltaviewDatabase.rows(c, AgentApp.QUERY + " ORDER BY region").toString();
    }
  }

  @Test
  void everyWayOfOpeningAConnectionIsWrappedOnceAndServedFromTheView() throws Exception {
    String url = server.createDatabase("agent_paths");
    AgentChild app = run(null, List.of(), List.of(), "paths", url).assertOk();
    String expected = expectedRows(url);
    for (String path : PATHS) {
      assertEquals(WRAPPER, app.result(path + ".class"), path + " not wrapped" + app.report());
      assertEquals("1", app.result(path + ".wraps"), path + " wrapped more than once" + app.report());
      assertEquals("true", app.result(path + ".pgBackendPid"), path + ": unwrap(PGConnection.class)" + app.report());
      assertTrue(app.result(path + ".explain").matches("\\[\\[(t|true), " + AgentApp.VIEW + ", .*"),
          path + ": EXPLAIN INCREMENTAL does not rewrite to the view" + app.report());
      assertEquals("1", app.result(path + ".hits"), path + ": the query was not served from the view" + app.report());
      assertEquals(expected, app.result(path + ".rows"), path + ": rows differ from PostgreSQL's" + app.report());
    }
    assertEquals(List.of(), app.agentLines, "the agent printed something while all went well" + app.report());
  }

  /** pgjdbc in an application class loader (servlet container, Spring Boot): the core is that loader's child. */
  @Test
  void pgjdbcInTheApplicationsOwnClassLoaderGetsItsOwnHiddenCore() throws Exception {
    String url = server.createDatabase("agent_isolated");
    AgentChild app = AgentChild.runIsolated(work, url, server.user(), server.password()).assertOk();
    assertEquals("false", app.result("systemSeesPgjdbc"), app.report());
    assertEquals(WRAPPER, app.result("class"), app.report());
    assertEquals("deltaview-core", app.result("coreLoader"), app.report());
    assertEquals("true", app.result("coreParentIsWebapp"), app.report());
    assertEquals("false", app.result("systemSeesCore"), "the core leaked into the system class loader" + app.report());
    assertEquals("true", app.result("unwrapPg"), app.report());
    assertEquals("1", app.result("hits"), "the query was not served from the view" + app.report());
    StringBuilder expected = new StringBuilder();
    try (Connection c = server.connect(url)) {
      for (List<String> row : DeltaviewDatabase.rows(c, AgentApp.QUERY + " ORDER BY region")) {
        expected.append(String.join(":", row)).append(' ');
      }
    }
    assertEquals(expected.toString().trim(), app.result("rows"), app.report());
    assertEquals(List.of(), app.agentLines, app.report());
  }

  @Test
  void optInFromTheAgentArgumentServesOnlyMarkedQueriesOnTheMarkingThread() throws Exception {
    AgentChild app = run("deltaview.mode=opt-in", List.of(), List.of(), "opt-in",
        server.createDatabase("agent_optin")).assertOk();
    assertOptIn(app);
    assertEquals("STRONG", app.result("classLevel.consistency"), "class annotation" + app.report());
    assertEquals("EVENTUAL", app.result("methodLevel.consistency"), "method annotation wins" + app.report());
    assertEquals("null", app.result("outside.consistency"), app.report());
    assertEquals(List.of(), app.agentLines, app.report());
  }

  @Test
  void systemPropertiesOverrideTheAgentArgument() throws Exception {
    // the argument says all (short key form), -D says opt-in: opt-in it is
    AgentChild app = run("mode=all", List.of("-Ddeltaview.mode=opt-in"), List.of(), "opt-in",
        server.createDatabase("agent_sysprop")).assertOk();
    assertOptIn(app);
  }

  private static void assertOptIn(AgentChild app) {
    assertEquals("0", app.result("unmarked.hits"), "unmarked query served" + app.report());
    assertEquals("1", app.result("hinted.hits"), "hinted query not served" + app.report());
    assertEquals("1", app.result("annotated.hits"), "query in an @Incremental method not served" + app.report());
    assertEquals("0", app.result("after.hits"), "query after the @Incremental method served" + app.report());
    assertEquals("1", app.result("afterThrow.hits"), "query in a throwing @Incremental method" + app.report());
    assertEquals("null", app.result("afterThrow.scope"), "scope left open by an exception" + app.report());
    assertEquals("0", app.result("afterThrow.unmarked.hits"), "query after the exception served" + app.report());
    assertEquals("1", app.result("otherThread.mainHits"), app.report());
    assertEquals("0 scope=null", app.result("otherThread.hits"), "another thread's query was marked" + app.report());
  }

  @Test
  void aJdbcDeltaviewConnectionIsNotWrappedAgain() throws Exception {
    AgentChild app = run(null, List.of(), List.of(AgentChild.driverAllJar()), "double-wrap",
        server.createDatabase("agent_double")).assertOk();
    assertEquals("1", app.result("deltaviewUrl.wraps"), app.report());
    assertEquals("true", app.result("deltaviewUrl.pg"), app.report());
    assertEquals("1", app.result("deltaviewUrl.hits"), app.report());
    assertEquals("1", app.result("plainUrl.wraps"), app.report());
    assertEquals("true", app.result("plainUrl.pg"), app.report());
  }

  @Test
  void attachedToARunningJvmTheAgentRetransformsPgjdbcAndIncrementalClassesAlreadyLoaded() throws Exception {
    AgentChild app = run(AgentChild.LATE, List.of(), List.of(), "late-attach",
        server.createDatabase("agent_late")).assertOk();
    assertEquals("org.postgresql.jdbc.PgConnection", app.result("before.class"), app.report());
    assertEquals("null", app.result("before.consistency"), app.report());
    assertEquals("STRONG", app.result("after.consistency"), app.report());
    assertEquals(WRAPPER, app.result("after.class"), app.report());
    assertEquals("1", app.result("after.hits"), app.report());
    assertEquals(List.of(), app.agentLines, app.report());
  }

  @Test
  void anInvalidOptionValueLeavesPlainPgjdbcAndSaysSoOnce() throws Exception {
    AgentChild app = run("deltaview.consistency=sometimes", List.of(), List.of(), "plain",
        server.createDatabase("agent_badvalue")).assertOk();
    assertPlain(app);
    assertEquals(1, app.agentLines.size(), "expected exactly one agent line" + app.report());
    assertTrue(app.agentLines.get(0).contains("deltaview.consistency") && app.agentLines.get(0).contains("sometimes"),
        app.report());
  }

  @Test
  void aMalformedAgentArgumentLeavesPlainPgjdbcAndSaysSoOnce() throws Exception {
    AgentChild app = run("deltaview.mode=opt-in,deltaview.colour=blue", List.of(), List.of(), "plain",
        server.createDatabase("agent_badkey")).assertOk();
    assertPlain(app);
    assertEquals(1, app.agentLines.size(), "expected exactly one agent line" + app.report());
    assertTrue(app.agentLines.get(0).contains("deltaview.colour"), app.report());
  }

  @Test
  void modeOffWrapsNothingAndPrintsNothing() throws Exception {
    AgentChild app = run(null, List.of("-Ddeltaview.mode=off"), List.of(), "plain",
        server.createDatabase("agent_off")).assertOk();
    assertPlain(app);
    assertEquals(List.of(), app.agentLines, app.report());
  }

  /**
   * A realistic set-up failure: an administrator created the views (so Deltaview's catalog schema exists), and the
   * application logs in as a role that may read its tables but not Deltaview's catalog. Deltaview's runtime cannot
   * start for that role (it starts in the background, so connecting does not wait for it): the application keeps
   * working, every query passing through to PostgreSQL, with one line saying why (the three connections in a row
   * make one start attempt, not three).
   */
  @Test
  void aRoleThatCannotReadDeltaviewsCatalogKeepsWorkingOnPostgresAndOneLineSaysWhy() throws Exception {
    String url = server.createDatabase("agent_noprivilege");
    String role = "agent_limited_" + ProcessHandle.current().pid();
    try (Connection admin = DriverManager.getConnection("jdbc:deltaview:" + url.substring("jdbc:".length()),
        server.credentials())) {
      AgentApp.setUp(admin);
      DeltaviewDatabase.exec(admin, "DROP ROLE IF EXISTS " + role);
      DeltaviewDatabase.exec(admin, "CREATE ROLE " + role + " LOGIN PASSWORD 'limited'");
      DeltaviewDatabase.exec(admin, "GRANT SELECT ON orders TO " + role);
      // Every role may read Deltaview's catalog unless an administrator says otherwise, as here.
      DeltaviewDatabase.exec(admin, "REVOKE USAGE ON SCHEMA deltaview FROM PUBLIC");
    }
    // the fixture's URL names its user; this application logs in as the limited role instead
    String limitedUrl = url.replaceFirst("\\?.*", "");
    AgentChild app = AgentChild.run(work, null, List.of(), List.of(), "cannot-start", limitedUrl, role, "limited")
        .assertOk();
    for (int i = 0; i < 3; i++) {
      assertEquals("[[42]]", app.result("rows" + i), app.report());
      assertEquals("[[1]]", app.result("count" + i), app.report());
    }
    assertTrue(app.result("show").startsWith("42501 ") && app.result("show").contains("could not start"),
        "a Deltaview command says why" + app.report());
    assertEquals("[[42]]", app.result("rowsAfter"), app.report());
    List<String> why = app.output.lines().filter(l -> l.contains("could not start for database")
        && !l.startsWith("RESULT")).toList();
    assertEquals(1, why.size(), "expected exactly one log line saying why" + app.report());
    assertTrue(why.get(0).contains("permission denied"), app.report());
    assertEquals(List.of(), app.agentLines, "the agent itself had nothing to complain about" + app.report());
  }

  private static void assertPlain(AgentChild app) {
    for (int i = 0; i < 3; i++) {
      assertEquals("org.postgresql.jdbc.PgConnection", app.result("class" + i), app.report());
      assertEquals("[[42]]", app.result("rows" + i), app.report());
    }
  }
}
