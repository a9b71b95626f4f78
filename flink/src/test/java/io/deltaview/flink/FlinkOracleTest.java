package io.deltaview.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.deltaview.it.fixture.PostgresFixture;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A differential oracle for views maintained by Flink: a representative set of views (a filter, an inner join with
 * an aggregate and HAVING, a LEFT JOIN with conditions on both sides in its ON and a WHERE over it, a FULL JOIN
 * under a RIGHT JOIN with an OR condition) is created through the driver with {@code
 * engine = 'flink'}, random transactions change every table (inserts, updates of keys, join and group columns,
 * NULLs, deletes, rollbacks) from a seed the failures name, and after every round each result table must hold
 * exactly what its query returns on PostgreSQL: {@code EXCEPT ALL} empty both ways, and the same rows in the same
 * text form (so with PostgreSQL's scales). Waiting is on that condition with a timeout. The views' Flink JVMs are
 * started one after another, with transactions in between (so snapshots run while the tables change), and the
 * rounds then run against all of them together, so the test costs about one Flink start per view.
 */
class FlinkOracleTest {

  /** A view of the oracle: its name and definition. */
  private record OracleView(String name, String definition) {
  }

  private static final List<OracleView> VIEWS = List.of(
      // DISTINCT gives a filter its key (the sink writes by key); Calcite drops a DISTINCT that includes a table's
      // primary key, which would leave the view without one
      new OracleView("oracle_filter", "SELECT DISTINCT o.customer_id, o.qty, o.status FROM orders o"
          + " WHERE o.qty BETWEEN 1 AND 4 AND o.status <> 'new' AND (o.placed IS NULL OR o.placed < DATE '2026-08-01')"),
      new OracleView("oracle_join", "SELECT c.region, o.status, count(*) AS n, count(o.points) AS with_points,"
          + " sum(o.qty) AS qty, sum(o.points) AS points, sum(o.amount) AS amount, min(o.placed) AS first_placed,"
          + " max(o.amount) AS largest, min(o.qty) AS least FROM orders o JOIN customers c ON c.id = o.customer_id"
          + " WHERE c.active GROUP BY c.region, o.status HAVING count(*) > 2"),
      // The conditions on both sides stay in ON: an inactive customer, or one without orders of qty > 1, is still
      // a row, with count(o.id) = 0 and NULL sums. The second LEFT JOIN extends the NULL-extended rows again (a
      // NULL status matches no region); the WHERE applies after the joins, to the NULL-extended rows too.
      new OracleView("oracle_left", "SELECT c.id, c.region, count(*) AS n, count(o.id) AS orders,"
          + " count(o.points) AS with_points, count(r.name) AS status_regions, sum(o.qty) AS qty,"
          + " sum(o.points) AS points, min(o.placed) AS first_placed, max(o.amount) AS largest"
          + " FROM customers c LEFT JOIN orders o ON o.customer_id = c.id AND o.qty > 1 AND c.active"
          + " LEFT JOIN regions r ON r.name = o.status"
          + " WHERE o.id IS NULL OR o.status <> 'shipped' GROUP BY c.id, c.region"),
      // Orders without a customer and customers without orders come out of the FULL JOIN NULL-extended; a region
      // matches a customer's region or (for orders without a customer) an order's status; regions nothing matches
      // are kept by the RIGHT JOIN with zero counts.
      new OracleView("oracle_full", "SELECT r.name AS region, count(*) AS n, count(c.id) AS customers,"
          + " count(o.id) AS orders, sum(o.qty) AS qty, max(o.placed) AS last_placed"
          + " FROM customers c FULL JOIN orders o ON o.customer_id = c.id AND o.status <> 'new'"
          + " RIGHT JOIN regions r ON r.name = c.region OR r.name = o.status GROUP BY r.name"));

  private static final String[] REGIONS = {"north", "south", "east", "west"};
  private static final String[] STATUSES = {"new", "paid", "shipped"};
  /** Region names the transactions insert and delete: customers' regions, order statuses and names nothing has. */
  private static final String[] REGION_ROWS = {"north", "south", "east", "west", "new", "paid", "shipped", "none",
      "central"};
  private static final int ROUNDS = 5;
  private static final int TRANSACTIONS_PER_ROUND = 60;

  private final long seed = Long.getLong("deltaview.oracle.seed", System.nanoTime());
  private final Random random = new Random(seed);
  private long nextOrder = 1;

  @Test
  void resultTablesOfFlinkViewsEqualTheirQueriesAfterRandomTransactions() throws Exception {
    PostgresFixture pg = PostgresFixture.get();
    String url = pg.createDatabase("flink_oracle");
    Properties credentials = pg.credentials();
    System.setProperty("deltaview.flink.workDir",
        Path.of("target", "flink-oracle", Long.toString(seed)).toAbsolutePath().toString());
    long started = System.nanoTime();
    try (Connection c = pg.connect(url);
         Connection d = DriverManager.getConnection("jdbc:deltaview:" + url.substring("jdbc:".length()), credentials);
         Statement s = d.createStatement()) {
      createTables(c);
      // a key from the NULL-extended side may be NULL: refused before anything is created
      SQLException nullKey = assertThrows(SQLException.class, () -> s.execute("CREATE INCREMENTAL VIEW oracle_bad"
          + " WITH (engine = 'flink') AS SELECT o.status, count(*) AS n FROM customers c LEFT JOIN orders o"
          + " ON o.customer_id = c.id GROUP BY o.status"));
      assertEquals("0A000", nullKey.getSQLState(), nullKey.getMessage());
      assertEquals(List.of(), rows(c, "SELECT 1 FROM pg_class WHERE relname = 'oracle_bad'"));
      Map<String, FlinkView> views = new LinkedHashMap<>();
      try {
        for (OracleView v : VIEWS) {
          s.execute("CREATE INCREMENTAL VIEW " + v.name() + " WITH (engine = 'flink') AS " + v.definition());
          views.put(v.name(), FlinkViewBackend.running().stream().filter(r -> r.name().equals(v.name()))
              .findFirst().orElseThrow());
          for (int t = 0; t < 10; t++) {
            randomTransaction(c);
          }
        }
        System.out.printf("oracle (seed %d): %d Flink views created in %.1f s%n", seed, VIEWS.size(),
            (System.nanoTime() - started) / 1e9);
        awaitAllEqual(c, views, Duration.ofMinutes(3));
        System.out.printf("oracle (seed %d): initial snapshots equal after %.1f s%n", seed,
            (System.nanoTime() - started) / 1e9);
        awaitRewritten(d);
        assertDriverAnswersAsPostgres(c, d, "after the snapshots");
        for (int round = 1; round <= ROUNDS; round++) {
          for (int t = 0; t < TRANSACTIONS_PER_ROUND; t++) {
            randomTransaction(c);
          }
          long before = System.nanoTime();
          awaitAllEqual(c, views, Duration.ofMinutes(2));
          System.out.printf("oracle (seed %d): round %d equal %.1f s after its last commit%n", seed, round,
              (System.nanoTime() - before) / 1e9);
          assertDriverAnswersAsPostgres(c, d, "after round " + round);
        }
        assertEquals(List.of(Arrays.asList("25", "north", "1", "0", "0", "0", null, null, null, null)),
            rows(c, "SELECT * FROM oracle_left WHERE id = 25"), "a NULL-extended row of the LEFT JOIN");
        assertEquals(List.of(Arrays.asList("nowhere", "1", "0", "0", null, null)),
            rows(c, "SELECT * FROM oracle_full WHERE region = 'nowhere'"), "a NULL-extended row of the RIGHT JOIN");
      } finally {
        for (String name : views.keySet()) {
          try {
            s.execute("DROP INCREMENTAL VIEW IF EXISTS " + name);
          } catch (SQLException e) {
            System.err.println("oracle: could not drop " + name + ": " + e.getMessage());
          }
        }
      }
      for (FlinkView view : views.values()) {
        assertFalse(view.runner().isRunning(), "DROP stopped the job of " + view.name());
      }
      assertEquals(List.of(), rows(c, "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'dvf%'"
          + " AND database = current_database()"));
    } finally {
      System.clearProperty("deltaview.flink.workDir");
    }
    System.out.printf("oracle (seed %d): %.1f s in all%n", seed, (System.nanoTime() - started) / 1e9);
  }

  /**
   * Waits (at most a minute: each view is served once its job records it ready, and the driver looks about once a
   * second) until the driver answers each view's query from that view, as an eventual read.
   */
  private void awaitRewritten(Connection driver) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    for (OracleView v : VIEWS) {
      List<String> plan;
      while (!(plan = rows(driver, "EXPLAIN INCREMENTAL " + v.definition()).get(0)).get(0).equals("t")) {
        assertTrue(System.nanoTime() < deadline, v.name() + " is not served through the driver: " + plan);
        Thread.sleep(200); // polling interval of the condition above, not a synchronisation
      }
      assertEquals("public." + v.name(), plan.get(1), plan.toString());
    }
  }

  /** The driver's answer to each view's query (served from the Flink view) is PostgreSQL's, rows in any order. */
  private void assertDriverAnswersAsPostgres(Connection plain, Connection driver, String when) throws SQLException {
    for (OracleView v : VIEWS) {
      assertEquals(sorted(rows(plain, v.definition())), sorted(rows(driver, v.definition())),
          v.name() + " through the driver " + when + ", seed " + seed);
    }
  }

  private void createTables(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("CREATE TABLE customers (id integer PRIMARY KEY, region text NOT NULL, active boolean NOT NULL)");
      s.execute("CREATE TABLE orders (id bigint PRIMARY KEY, customer_id integer NOT NULL,"
          + " amount numeric(10,2) NOT NULL, qty integer NOT NULL, points bigint, status text NOT NULL, placed date)");
      s.execute("CREATE TABLE regions (name text PRIMARY KEY)");
      for (String table : List.of("customers", "orders", "regions")) {
        s.execute("ALTER TABLE " + table + " REPLICA IDENTITY FULL");
      }
    }
    try (PreparedStatement customer = c.prepareStatement("INSERT INTO customers VALUES (?, ?, ?)");
         PreparedStatement region = c.prepareStatement("INSERT INTO regions VALUES (?)")) {
      for (int id = 1; id <= 20; id++) {
        customer.setInt(1, id);
        customer.setString(2, REGIONS[id % REGIONS.length]);
        customer.setBoolean(3, id % 5 != 0);
        customer.executeUpdate();
      }
      for (int i = 0; i < REGION_ROWS.length - 1; i++) {
        region.setString(1, REGION_ROWS[i]);
        region.executeUpdate();
      }
      // never changed by the transactions: a region nothing matches and an inactive customer without orders, so
      // both outer joins keep a NULL-extended row whatever the seed
      region.setString(1, "nowhere");
      region.executeUpdate();
      customer.setInt(1, 25);
      customer.setString(2, "north");
      customer.setBoolean(3, false);
      customer.executeUpdate();
    }
    for (int i = 0; i < 200; i++) {
      insertOrder(c);
    }
  }

  /** An order of customer 1 to 24 (21 to 24 exist only while a transaction has added them). */
  private void insertOrder(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      ps.setLong(1, nextOrder++);
      ps.setInt(2, 1 + random.nextInt(24));
      ps.setBigDecimal(3, BigDecimal.valueOf(random.nextInt(100_000), 2));
      ps.setInt(4, random.nextInt(6));
      if (random.nextInt(5) == 0) {
        ps.setNull(5, Types.BIGINT);
      } else {
        ps.setLong(5, random.nextLong() >> 4);
      }
      ps.setString(6, STATUSES[random.nextInt(STATUSES.length)]);
      if (random.nextInt(4) == 0) {
        ps.setNull(7, Types.DATE);
      } else {
        ps.setObject(7, LocalDate.of(2026, 1, 1).plusDays(random.nextInt(300)));
      }
      ps.executeUpdate();
    }
  }

  /** One to five random changes of the three tables, committed together, or (one in ten) rolled back. */
  private void randomTransaction(Connection c) throws SQLException {
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      int changes = 1 + random.nextInt(5);
      for (int i = 0; i < changes; i++) {
        long order = 1 + random.nextInt((int) nextOrder);
        int customer = 1 + random.nextInt(24);
        switch (random.nextInt(12)) {
          case 0, 1 -> insertOrder(c);
          case 2 -> s.execute("UPDATE orders SET qty = " + random.nextInt(6) + ", amount = amount + 1.25"
              + " WHERE id = " + order);
          case 3 -> s.execute("UPDATE orders SET status = '" + STATUSES[random.nextInt(STATUSES.length)]
              + "', customer_id = " + customer + " WHERE id = " + order);
          case 4 -> s.execute("UPDATE orders SET id = " + nextOrder++ + " WHERE id = " + order);
          case 5 -> s.execute("DELETE FROM orders WHERE id = " + order);
          case 6 -> s.execute("UPDATE orders SET points = " + (random.nextBoolean() ? "NULL" : random.nextInt(1000))
              + ", placed = " + (random.nextBoolean() ? "NULL" : "DATE '2026-01-01' + " + random.nextInt(300))
              + " WHERE id = " + order);
          case 7 -> s.execute("UPDATE customers SET active = NOT active WHERE id = " + customer);
          case 8 -> s.execute("UPDATE customers SET region = '" + REGIONS[random.nextInt(REGIONS.length)]
              + "' WHERE id = " + customer);
          case 9 -> {
            if (random.nextBoolean()) {
              s.execute("INSERT INTO customers VALUES (" + customer + ", '" + REGIONS[random.nextInt(REGIONS.length)]
                  + "', " + random.nextBoolean() + ") ON CONFLICT (id) DO NOTHING");
            } else {
              s.execute("DELETE FROM customers WHERE id = " + customer);
            }
          }
          case 10 -> {
            // the key and join column of a customer: its orders lose it, another id's orders gain it
            int to = 1 + random.nextInt(24);
            s.execute("UPDATE customers SET id = " + to + " WHERE id = " + customer
                + " AND NOT EXISTS (SELECT 1 FROM customers WHERE id = " + to + ")");
          }
          default -> {
            String region = REGION_ROWS[random.nextInt(REGION_ROWS.length)];
            if (random.nextBoolean()) {
              s.execute("INSERT INTO regions VALUES ('" + region + "') ON CONFLICT (name) DO NOTHING");
            } else {
              s.execute("DELETE FROM regions WHERE name = '" + region + "'");
            }
          }
        }
      }
      if (random.nextInt(10) == 0) {
        c.rollback();
      } else {
        c.commit();
      }
    } finally {
      c.setAutoCommit(true);
    }
  }

  /**
   * Waits until every view's result table holds what its query returns now (the tables do not change meanwhile):
   * {@code EXCEPT ALL} empty both ways and the same rows as text. Fails naming the views that differ, with the
   * differences, after {@code timeout}, or at once if a Flink job failed.
   */
  private void awaitAllEqual(Connection c, Map<String, FlinkView> views, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> pending = new ArrayList<>(views.keySet());
    while (true) {
      for (var it = pending.iterator(); it.hasNext(); ) {
        String name = it.next();
        FlinkView view = views.get(name);
        assertTrue(view.runner().isRunning(), "the Flink job of " + name + " failed: " + view.runner().failure()
            + " (" + view.runner().describe() + ", seed " + seed + ")");
        if (difference(c, name).isEmpty()) {
          it.remove();
        }
      }
      if (pending.isEmpty()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        StringBuilder message = new StringBuilder("after " + timeout.toSeconds() + " s (seed " + seed + "):");
        for (String name : pending) {
          message.append("\n").append(name).append(": ").append(difference(c, name));
        }
        fail(message.toString());
      }
      Thread.sleep(200); // polling interval of the condition above, not a synchronisation
    }
  }

  /** What differs between view {@code name}'s result table and its query, or nothing. */
  private static List<String> difference(Connection c, String name) throws SQLException {
    String definition = VIEWS.stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow().definition();
    List<String> out = new ArrayList<>();
    for (List<String> row : rows(c, "SELECT * FROM " + name + " EXCEPT ALL (" + definition + ")")) {
      out.add("only in the result table: " + row);
    }
    for (List<String> row : rows(c, "(" + definition + ") EXCEPT ALL SELECT * FROM " + name)) {
      out.add("only in the query: " + row);
    }
    if (out.isEmpty()) {
      // equal values may still differ in form (a numeric's scale): compare the rows as PostgreSQL prints them
      List<List<String>> table = sorted(rows(c, "SELECT * FROM " + name));
      List<List<String>> query = sorted(rows(c, definition));
      if (!table.equals(query)) {
        out.add("the same values printed differently: " + table + " vs " + query);
      }
    }
    return out;
  }

  private static List<List<String>> sorted(List<List<String>> rows) {
    List<List<String>> out = new ArrayList<>(rows);
    out.sort((a, b) -> String.valueOf(a).compareTo(String.valueOf(b)));
    return out;
  }

  private static List<List<String>> rows(Connection c, String sql) throws SQLException {
    return ShopTables.rows(c, sql);
  }
}
