package io.deltaview.spring.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import io.deltaview.driver.DeltaviewDriver;
import io.deltaview.driver.jdbc.DeltaviewWrapper;
import io.deltaview.it.fixture.PostgresFixture;
import io.deltaview.spring.boot.shop.CustomerTotal;
import io.deltaview.spring.boot.shop.Order;
import io.deltaview.spring.boot.shop.OrderRepository;
import io.deltaview.spring.boot.shop.ShopApplication;
import io.deltaview.spring.boot.shop.SqlRecorder;
import io.micrometer.core.instrument.Metrics;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A real Spring Boot application — Spring Data JPA (Hibernate), Flyway, Actuator with Prometheus — with the
 * starter, on a fresh database of the shared PostgreSQL, configured with a plain {@code jdbc:postgresql:} URL and
 * {@code deltaview.enabled=true} (src/test/resources/application.yml). Flyway creates the table and, with
 * {@code deltaview.create_view}, the view; the repository's aggregate queries are then served from that view.
 */
@SpringBootTest(classes = ShopApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureObservability(tracing = false) // Spring Boot tests turn metrics export (Prometheus) off without it
class StarterShopApplicationTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String VIEW = "public.customer_totals";
  private static final String PLAIN_URL = PostgresFixture.get().createDatabase("spring_shop");

  @DynamicPropertySource
  static void database(DynamicPropertyRegistry registry) {
    registry.add("spring.datasource.url", () -> PLAIN_URL);
    registry.add("spring.datasource.username", () -> PostgresFixture.get().user());
    registry.add("spring.datasource.password", () -> PostgresFixture.get().password());
  }

  @Autowired
  private DataSource dataSource;
  @Autowired
  private OrderRepository orders;
  @Autowired
  private Flyway flyway;
  @Autowired
  private TestRestTemplate http;
  @Autowired
  private ConfigurableApplicationContext context;

  private final ObjectMapper json = new ObjectMapper();

  /** The view is created when the migration commits, asynchronously: each test starts once it is ready. */
  @BeforeEach
  void viewReady() {
    await("view " + VIEW + " ready", () -> {
      List<String> row = showRow(VIEW);
      return row != null && "ready".equals(row.get(1)) ? null : "SHOW INCREMENTAL VIEWS row: " + row;
    });
  }

  @Test
  void theDataSourcePoolsDeltaviewConnectionsWithTheDeltaviewProperties() throws SQLException {
    HikariDataSource hikari = dataSource.unwrap(HikariDataSource.class);
    assertEquals(DeltaviewDriver.class.getName(), hikari.getDriverClassName());
    assertEquals("jdbc:deltaview:" + PLAIN_URL.substring("jdbc:".length())
        + (PLAIN_URL.contains("?") ? "&" : "?") + "deltaview.consistency=strong&deltaview.strongTimeoutMs=10000",
        hikari.getJdbcUrl());
    try (Connection c = dataSource.getConnection()) {
      assertTrue(c.isWrapperFor(DeltaviewWrapper.class), "a pooled connection is Deltaview's: " + c);
    }
    // Flyway migrated on its own plain connections, not on pooled Deltaview ones, and ran the view's migration.
    DataSource migrations = flyway.getConfiguration().getDataSource();
    assertNotSame(dataSource, migrations);
    try (Connection c = migrations.getConnection()) {
      assertFalse(c.isWrapperFor(DeltaviewWrapper.class), "Flyway's connection is plain pgjdbc: " + c);
    }
    // ... after Deltaview had started: Flyway's beans depend on the start-up check, so create_view existed.
    assertTrue(List.of(context.getBeanFactory().getBeanDefinition("flyway").getDependsOn())
        .contains("deltaviewStartup"), "flyway depends on deltaviewStartup");
    List<String> applied = new ArrayList<>();
    for (MigrationInfo m : flyway.info().applied()) {
      applied.add(m.getVersion() + " " + m.getState());
    }
    assertEquals(List.of("1 SUCCESS", "2 SUCCESS"), applied);
  }

  @Test
  void repositoryAggregatesAreServedFromTheView() throws SQLException {
    // New orders after the view was loaded: with deltaview.consistency=strong a served query still sees them.
    orders.saveAll(List.of(new Order("customer-1", new BigDecimal("1000.50")),
        new Order("customer-new", new BigDecimal("42.00"))));

    assertServed(orders::totalsByCustomer);
    assertServed(orders::totalsByCustomerJpql);
  }

  @Test
  void springDataPagesAndTheirCountsAreServed() throws SQLException {
    String view = "public.order_rows";
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE INCREMENTAL VIEW order_rows AS SELECT id, customer, amount FROM orders");
    }
    try {
      long hitsBefore = hits(view);
      SqlRecorder.clear();
      PageRequest pageable = PageRequest.of(2, 5, Sort.by("id"));
      Page<Order> page = orders.findByCustomer("customer-3", pageable);
      List<String> prepared = SqlRecorder.recorded();
      assertEquals(2, prepared.size(), "the page's query and the count query: " + prepared);
      String pageSql = prepared.get(0);
      String countSql = prepared.get(1);
      assertTrue(pageSql.contains("offset ? rows fetch first ? rows only"), pageSql);
      assertTrue(countSql.startsWith("select count("), countSql);
      for (String sql : prepared) {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("EXPLAIN INCREMENTAL " + sql)) {
          assertTrue(rs.next());
          assertTrue(rs.getBoolean("rewritten"), "rewritten: " + sql + " -> " + rs.getString("reason"));
          assertEquals(view, rs.getString("view"), sql);
        }
      }
      assertTrue(hits(view) >= hitsBefore + 2, "both statements read the view");

      // PostgreSQL's own answers to the same statements, with the values Hibernate bound.
      List<Long> expectedIds = new ArrayList<>();
      long expectedCount;
      try (Connection plain = PostgresFixture.get().connect(PLAIN_URL)) {
        try (PreparedStatement ps = plain.prepareStatement(pageSql)) {
          ps.setString(1, "customer-3");
          ps.setInt(2, (int) pageable.getOffset());
          ps.setInt(3, pageable.getPageSize());
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              expectedIds.add(rs.getLong("id"));
            }
          }
        }
        try (PreparedStatement ps = plain.prepareStatement(countSql)) {
          ps.setString(1, "customer-3");
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            expectedCount = rs.getLong(1);
          }
        }
      }
      assertEquals(expectedIds, page.getContent().stream().map(Order::getId).toList());
      assertEquals(expectedCount, page.getTotalElements());
      assertTrue(expectedCount > 15 && expectedIds.size() == 5, expectedCount + " orders, page " + expectedIds);
    } finally {
      try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
        s.execute("DROP INCREMENTAL VIEW order_rows");
      }
    }
  }

  /**
   * Runs the repository query; the SQL Hibernate prepared for it is answered from the view (EXPLAIN INCREMENTAL),
   * the view's hits went up, and the rows equal PostgreSQL's own answer on a plain pgjdbc connection.
   */
  private void assertServed(Supplier<List<CustomerTotal>> query) throws SQLException {
    long hitsBefore = hits();
    SqlRecorder.clear();
    List<CustomerTotal> totals = query.get();
    List<String> prepared = SqlRecorder.recorded();
    assertEquals(1, prepared.size(), "one statement: " + prepared);
    String sql = prepared.get(0);

    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("EXPLAIN INCREMENTAL " + sql)) {
      assertTrue(rs.next());
      assertTrue(rs.getBoolean("rewritten"), "rewritten: " + sql + " -> " + rs.getString("reason"));
      assertEquals(VIEW, rs.getString("view"));
    }
    assertTrue(hits() > hitsBefore, "the view's hits went up from " + hitsBefore + " for " + sql);

    List<String> expected = new ArrayList<>();
    try (Connection plain = PostgresFixture.get().connect(PLAIN_URL);
         PreparedStatement ps = plain.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        expected.add(rs.getString(1) + "=" + rs.getBigDecimal(2));
      }
    }
    List<String> actual = totals.stream().map(t -> t.getCustomer() + "=" + t.getTotal()).toList();
    assertEquals(expected, actual);
    assertTrue(actual.contains("customer-new=42.00"), "the order saved just before is counted: " + actual);
  }

  @Test
  void actuatorShowsTheViewsHealthAndDeltaviewMeters() throws Exception {
    JsonNode health = json.readTree(http.getForObject("/actuator/health", String.class));
    JsonNode component = health.path("components").path("deltaview");
    assertEquals("UP", component.path("status").asText(), health.toPrettyString());
    JsonNode view = component.path("details").path("views").path(VIEW);
    assertEquals("ready", view.path("status").asText(), component.toPrettyString());
    assertTrue(view.has("staleness_ms") && view.has("last_error"), view.toPrettyString());

    orders.totalsByCustomer(); // at least one query served in this database
    String database;
    try (Connection c = PostgresFixture.get().connect(PLAIN_URL)) {
      database = c.getCatalog();
    }
    Pattern rows = Pattern.compile("deltaview_view_rows\\{[^}]*database=\"" + database + "\"[^}]*view=\"" + VIEW
        + "\"[^}]*} ([0-9.E]+)");
    Pattern served = Pattern.compile("deltaview_queries_served_total\\{[^}]*database=\"" + database
        + "\"[^}]*} ([0-9.E]+)");
    ResponseEntity<String> prometheus = http.getForEntity("/actuator/prometheus", String.class);
    assertEquals(HttpStatus.OK, prometheus.getStatusCode(), prometheus.getBody());
    await("the view's and the database's meters in /actuator/prometheus", () -> {
      String scrape = http.getForObject("/actuator/prometheus", String.class);
      Matcher r = rows.matcher(scrape);
      Matcher s = served.matcher(scrape);
      if (!r.find() || !s.find()) {
        return "not yet: " + scrape.lines().filter(l -> l.startsWith("deltaview_")).toList();
      }
      double customers;
      try {
        customers = count("SELECT count(DISTINCT customer) FROM orders");
      } catch (SQLException e) {
        return e.toString();
      }
      return Double.parseDouble(r.group(1)) == customers && Double.parseDouble(s.group(1)) >= 1 ? null
          : "rows " + r.group(1) + " (want " + customers + "), served " + s.group(1);
    });
    ResponseEntity<String> metric = http.getForEntity("/actuator/metrics/deltaview.queries.served", String.class);
    assertEquals(HttpStatus.OK, metric.getStatusCode(), metric.getBody());
    assertTrue(json.readTree(metric.getBody()).path("measurements").get(0).path("value").asDouble() >= 1,
        metric.getBody());

    // Bound by the starter's MeterBinder only: the driver's own binding to the global registry is off.
    assertEquals("off", System.getProperty("deltaview.metrics"));
    assertTrue(Metrics.globalRegistry.getMeters().stream()
        .noneMatch(m -> m.getId().getName().startsWith("deltaview")),
        "no Deltaview meter registered through Micrometer's global registry");
  }

  @Test
  void aFailedViewTurnsTheHealthDownWithItsError() throws Exception {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE gauges (id int PRIMARY KEY, qty int NOT NULL)");
      s.execute("INSERT INTO gauges VALUES (1, 4), (2, 5)");
      s.execute("CREATE INCREMENTAL VIEW per_unit AS SELECT id, 100 / qty AS per_unit FROM gauges");
      try {
        s.execute("INSERT INTO gauges VALUES (3, 0)"); // 100 / 0: the view fails with 22012
        await("health DOWN with the view's error", () -> {
          JsonNode component = deltaviewHealth();
          JsonNode view = component.path("details").path("views").path("public.per_unit");
          return "DOWN".equals(component.path("status").asText()) && "failed".equals(view.path("status").asText())
              && view.path("last_error").asText().contains("division by zero") ? null : component.toString();
        });
      } finally {
        s.execute("DROP INCREMENTAL VIEW per_unit");
        s.execute("DROP TABLE gauges");
      }
    }
    await("health UP again", () -> "UP".equals(deltaviewHealth().path("status").asText()) ? null
        : deltaviewHealth().toString());
  }

  private JsonNode deltaviewHealth() {
    try {
      return json.readTree(http.getForObject("/actuator/health", String.class)).path("components").path("deltaview");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** The view's row of SHOW INCREMENTAL VIEWS (as text, in its column order), or null. */
  private List<String> showRow(String view) {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SHOW INCREMENTAL VIEWS")) {
      int columns = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        if (view.equals(rs.getString("name"))) {
          List<String> row = new ArrayList<>();
          for (int i = 1; i <= columns; i++) {
            row.add(rs.getString(i));
          }
          return row;
        }
      }
      return null;
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  private long hits() {
    return hits(VIEW);
  }

  private long hits(String view) {
    List<String> row = showRow(view);
    assertNotNull(row, view + " in SHOW INCREMENTAL VIEWS");
    return Long.parseLong(row.get(6));
  }

  private static double count(String sql) throws SQLException {
    try (Connection c = PostgresFixture.get().connect(PLAIN_URL); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Waits until {@code check} returns null (else it says what it saw), at most {@link #WAIT}. */
  private static void await(String what, Supplier<String> check) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    String seen = check.get();
    while (seen != null) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + WAIT.toSeconds() + " s waiting for " + what + "; last: " + seen);
      }
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
      seen = check.get();
    }
  }
}
