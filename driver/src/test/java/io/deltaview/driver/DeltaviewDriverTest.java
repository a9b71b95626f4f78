package io.deltaview.driver;

import io.deltaview.sql.SqlStates;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.driver.jdbc.DeltaviewWrapper;
import io.deltaview.driver.route.PassThroughRouter;
import io.deltaview.driver.route.Route;
import io.deltaview.driver.route.RouterFactory;
import io.deltaview.driver.route.SessionState;
import java.net.URL;
import java.net.URLClassLoader;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.util.PSQLException;

class DeltaviewDriverTest {

  private final FakeDb db = new FakeDb();
  private final List<String> pgUrls = new ArrayList<>();
  private final List<Properties> pgProps = new ArrayList<>();
  private final List<Object[]> factoryCalls = new ArrayList<>();
  private final RecordingRouter router = new RecordingRouter();
  private final RouterFactory factory = (url, props, options, raw) -> {
    factoryCalls.add(new Object[] {url, props, options, raw});
    return router;
  };
  private final DeltaviewDriver driver = new DeltaviewDriver(db.driver(pgUrls, pgProps), factory);

  @Test
  void acceptsOnlyDeltaviewPostgresqlUrls() throws SQLException {
    assertTrue(driver.acceptsURL("jdbc:deltaview:postgresql://h/db"));
    assertTrue(driver.acceptsURL("jdbc:deltaview:postgresql:db"));
    assertFalse(driver.acceptsURL("jdbc:postgresql://h/db"));
    assertFalse(driver.acceptsURL("jdbc:deltaview:mysql://h/db"));
    assertFalse(driver.acceptsURL(null));
    assertNull(driver.connect("jdbc:postgresql://h/db", new Properties()));
    assertNull(driver.connect("jdbc:deltaview:oracle:x", null));
    assertEquals(List.of(), pgUrls, "pgjdbc not consulted for foreign URLs");
  }

  @Test
  void stripsTheDeltaviewPrefixOnceByPosition() throws SQLException {
    driver.connect("jdbc:deltaview:postgresql://h:5432/deltaview:db?ApplicationName=deltaview:x", null);
    assertEquals(List.of("jdbc:postgresql://h:5432/deltaview:db?ApplicationName=deltaview:x"), pgUrls);
  }

  @Test
  void deltaviewKeysAreRemovedAndEverythingElsePassesUnchanged() throws SQLException {
    Properties info = new Properties();
    info.setProperty("user", "u");
    info.setProperty("password", "p");
    info.setProperty("deltaview.consistency", "strong");
    info.setProperty("deltaview.mode", "all");
    Connection c = driver.connect("jdbc:deltaview:postgresql://h/db?ssl=true&deltaview.strongTimeoutMs=10"
        + "&options=-c%20search_path%3Ds&deltaview%2Eengine=none&deltaview.mode=all", info);
    assertEquals(List.of("jdbc:postgresql://h/db?ssl=true&options=-c%20search_path%3Ds"), pgUrls);
    Properties seen = pgProps.get(0);
    assertEquals("u", seen.getProperty("user"));
    assertEquals("p", seen.getProperty("password"));
    assertEquals("true", seen.getProperty(DeltaviewConnections.INTERNAL_PROPERTY),
        "marked as Deltaview's own, so that the agent leaves it alone");
    assertEquals(3, seen.size(), "no deltaview.* key reaches pgjdbc: " + seen);
    assertEquals(4, info.size(), "the caller's properties are not modified");

    Object[] call = factoryCalls.get(0);
    assertEquals(pgUrls.get(0), call[0]);
    assertEquals(seen, call[1]);
    DeltaviewOptions options = (DeltaviewOptions) call[2];
    assertEquals(DeltaviewOptions.Consistency.STRONG, options.consistency());
    assertEquals(10, options.strongTimeoutMs());
    assertEquals(DeltaviewOptions.Engine.NONE, options.engine());
    assertSame(db.created.get(0), call[3]);
    assertTrue(c instanceof DeltaviewWrapper);
    assertSame(db.created.get(0), c.unwrap(PGConnection.class));
  }

  @Test
  void urlWithOnlyDeltaviewParametersLosesItsQuestionMark() throws SQLException {
    driver.connect("jdbc:deltaview:postgresql://h/db?deltaview.mode=all", null);
    assertEquals(List.of("jdbc:postgresql://h/db"), pgUrls);
  }

  @Test
  void urlParametersOverrideProperties() throws SQLException {
    Properties info = new Properties();
    info.setProperty("deltaview.mode", "nonsense");
    driver.connect("jdbc:deltaview:postgresql://h/db?deltaview.mode=all", info);
    assertEquals(1, factoryCalls.size());
  }

  @Test
  void badOptionsFailBeforeConnecting() {
    SQLException e = assertThrows(SQLException.class,
        () -> driver.connect("jdbc:deltaview:postgresql://h/db?deltaview.mode=maybe", null));
    assertEquals(SqlStates.INVALID_PARAMETER_VALUE, e.getSQLState());
    SQLException c = assertThrows(SQLException.class,
        () -> driver.connect("jdbc:deltaview:postgresql://h/db?deltaview.consistency=bounded(soon)", null));
    assertEquals(SqlStates.INVALID_PARAMETER_VALUE, c.getSQLState());
    assertTrue(c.getMessage().contains("bounded(<ms>)"), c.getMessage());
    Properties info = new Properties();
    info.setProperty("deltaview.moed", "off");
    SQLException u = assertThrows(SQLException.class, () -> driver.connect("jdbc:deltaview:postgresql://h/db",
        info));
    assertEquals(SqlStates.UNDEFINED_OBJECT, u.getSQLState());
    assertTrue(u.getMessage().contains("deltaview.moed"));
    assertEquals(List.of(), pgUrls);
  }

  @Test
  void modeOffNeverAsksTheFactory() throws SQLException {
    Connection c = driver.connect("jdbc:deltaview:postgresql://h/db?deltaview.mode=off", null);
    assertEquals(List.of(), factoryCalls);
    c.createStatement().execute("select 1");
    assertEquals(List.of(), router.routed);
    assertEquals(List.of("st2.execute(select 1)"), db.calls("st2.execute"));
  }

  @Test
  void aFailingFactoryClosesTheRawConnectionAndItsErrorPassesUnchanged() {
    SQLException boom = new SQLException("no engine", "55000");
    DeltaviewDriver failing = new DeltaviewDriver(db.driver(pgUrls, pgProps), (u, p, o, r) -> {
      throw boom;
    });
    assertSame(boom, assertThrows(SQLException.class,
        () -> failing.connect("jdbc:deltaview:postgresql://h/db", null)));
    assertTrue(db.closed.contains(db.created.get(0)));
  }

  @Test
  void closingTheConnectionClosesTheRouterAndTheRawConnection() throws SQLException {
    Connection c = driver.connect("jdbc:deltaview:postgresql://h/db", null);
    c.close();
    assertEquals(1, router.closed);
    assertTrue(db.closed.contains(db.created.get(0)));
  }

  @Test
  void propertyInfoListsDeltaviewOptionsThenPgjdbcs() throws SQLException {
    DriverPropertyInfo[] info = driver.getPropertyInfo("jdbc:deltaview:postgresql://h/db?deltaview.mode=off",
        null);
    List<String> names = Arrays.stream(info).map(p -> p.name).toList();
    assertEquals(List.of("deltaview.mode", "deltaview.consistency", "deltaview.strongTimeoutMs",
        "deltaview.engine", "deltaview.autoCreate", "deltaview.autoCreate.max", "deltaview.maxRetainedWal",
        "deltaview.viewEngine", "pgOption"), names);
    assertEquals("off", info[0].value);
    assertEquals(List.of("all", "opt-in", "off"), Arrays.asList(info[0].choices));
    assertEquals(0, driver.getPropertyInfo("jdbc:postgresql://h/db", null).length);

    DriverPropertyInfo[] real = new DeltaviewDriver().getPropertyInfo("jdbc:deltaview:postgresql://h/db",
        null);
    assertTrue(Arrays.stream(real).anyMatch(p -> p.name.equals("sslmode")), "pgjdbc's own options follow");
  }

  @Test
  void registeredOnceWithDriverManager() throws SQLException {
    DeltaviewDriver.registered();
    long ours = Collections.list(DriverManager.getDrivers()).stream()
        .filter(d -> d instanceof DeltaviewDriver).count();
    assertEquals(1, ours);
    Driver found = DriverManager.getDriver("jdbc:deltaview:postgresql://h/db");
    assertSame(DeltaviewDriver.registered(), found);
    assertTrue(DriverManager.getDriver("jdbc:postgresql://h/db") instanceof org.postgresql.Driver);
  }

  /** No database needed: nothing listens on port 1, and pgjdbc's own error must reach the caller as is. */
  @Test
  void pgjdbcErrorsPassUnchanged() {
    Properties info = new Properties();
    info.setProperty("connectTimeout", "2");
    SQLException e = assertThrows(SQLException.class,
        () -> DeltaviewDriver.registered().connect("jdbc:deltaview:postgresql://127.0.0.1:1/db", info));
    assertTrue(e instanceof PSQLException, "not re-wrapped: " + e);
    assertTrue(e.getSQLState().startsWith("08"), e.getSQLState());
  }
}
