package io.deltaview.rewriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.rewriter.schema.CatalogSchema;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Opt-in differential check: runs each query as written and as rewritten on a real PostgreSQL and compares
 * rows, column labels, type names, precision and scale. Unit builds skip it (real databases belong in
 * {@code integration-tests}); run it by hand against a scratch database whose {@code public} schema it
 * may fill: {@code mvn -pl rewriter test -Dtest=PostgresDifferentialCheck
 * -Ddeltaview.test.pgUrl=jdbc:postgresql://localhost:5432/scratch?user=postgres}.
 */
@EnabledIfSystemProperty(named = "deltaview.test.pgUrl", matches = ".+")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresDifferentialCheck {
  private Connection connection;
  private QueryRewriter rewriter;

  @BeforeAll
  void setUp() throws SQLException, IOException {
    connection = DriverManager.getConnection(System.getProperty("deltaview.test.pgUrl"));
    try (Statement st = connection.createStatement()) {
      st.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
      try (InputStream in = getClass().getResourceAsStream("/differential-setup.sql")) {
        st.execute(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
    rewriter = QueryRewriter.create(CatalogSchema.load(connection), TestViews.all());
    assertTrue(rewriter.unusableViews().isEmpty(), rewriter.unusableViews().toString());
  }

  @AfterAll
  void tearDown() throws SQLException {
    connection.close();
  }

  static Stream<List<Object>> queries() {
    String join = "FROM customers c JOIN orders o ON o.customer_id = c.id JOIN order_lines l ON l.order_id = o.id ";
    return Stream.of(
        List.of("SELECT status, count(*) AS order_count, sum(amount) AS total, min(amount) AS smallest, "
            + "max(amount) AS largest FROM orders GROUP BY status ORDER BY status"),
        List.of("SELECT c.region, date_trunc('month', o.created_at), sum(l.qty * l.price) AS rev, count(*) "
            + join + "GROUP BY 1, 2"),
        List.of("SELECT amount * 2 AS double_amount FROM orders WHERE status = 'paid' AND customer_id = ?", 7),
        List.of("SELECT id FROM orders WHERE customer_id = ? AND status = 'paid' AND amount > ?", 7,
            new BigDecimal("10")),
        List.of("SELECT id, amount FROM orders WHERE status = 'paid' ORDER BY amount DESC, id LIMIT 10"),
        List.of("SELECT id FROM orders WHERE status = 'paid' AND amount > ? ORDER BY id LIMIT ? OFFSET ?",
            new BigDecimal("5"), 4, 3),
        List.of("SELECT customer_id, sum(amount) FROM orders WHERE status = 'paid' GROUP BY customer_id"),
        List.of("SELECT status, count(*) FROM orders GROUP BY status HAVING count(*) > 5 ORDER BY status"),
        List.of("SELECT amount::numeric(12,2) FROM orders WHERE status = 'paid' AND id::bigint > 10"),
        List.of("SELECT c.region, sum(l.qty * l.price) AS revenue, count(*) AS lines " + join
            + "GROUP BY c.region"),
        List.of("SELECT count(*) AS n, sum(amount) AS total, min(amount) AS lo, max(amount) AS hi FROM orders"),
        List.of("SELECT count(*), sum(amount) FROM orders WHERE status = 'nope'"),
        List.of("SELECT cu.region AS r, cu.name, count(ord.id) AS orders FROM customers cu LEFT OUTER JOIN "
            + "orders ord ON ord.customer_id = cu.id GROUP BY cu.region, cu.name HAVING count(ord.id) < 100 "
            + "ORDER BY r, cu.name"),
        List.of("SELECT status || '!' AS s, count(*) * 2 FROM orders GROUP BY status"),
        List.of("SELECT c.region, count(*) " + join + "WHERE c.region IS NULL GROUP BY c.region"),
        List.of("SELECT max(amount) - min(amount) AS spread FROM orders"),
        List.of("SELECT status AS \"Status\", sum(amount) AS \"Total Amount\" FROM orders GROUP BY status "
            + "ORDER BY \"Total Amount\""));
  }

  @ParameterizedTest
  @MethodSource("queries")
  void rewriteReturnsWhatTheOriginalReturns(List<Object> testCase) throws SQLException {
    String sql = (String) testCase.get(0);
    Object[] parameters = testCase.subList(1, testCase.size()).toArray();
    RewriteDecision d = rewriter.rewrite(sql);
    assertTrue(d.rewritten(), () -> "not rewritten: " + d.reason());
    Result original = run(sql, parameters);
    Result rewritten = run(d.sql(), parameters);
    assertEquals(original.columns(), rewritten.columns(), d.sql());
    boolean ordered = sql.toLowerCase(Locale.ROOT).contains("order by");
    assertEquals(ordered ? original.rows() : sorted(original.rows()),
        ordered ? rewritten.rows() : sorted(rewritten.rows()), d.sql());
  }

  private record Result(List<String> columns, List<String> rows) {}

  private Result run(String sql, Object[] parameters) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) {
        ps.setObject(i + 1, parameters[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        ResultSetMetaData md = rs.getMetaData();
        List<String> columns = new ArrayList<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          columns.add(md.getColumnLabel(i) + ":" + md.getColumnTypeName(i) + "(" + md.getPrecision(i) + ","
              + md.getScale(i) + ")");
        }
        List<String> rows = new ArrayList<>();
        while (rs.next()) {
          String[] values = new String[md.getColumnCount()];
          for (int i = 1; i <= values.length; i++) {
            values[i - 1] = rs.getString(i);
          }
          rows.add(Arrays.toString(values));
        }
        return new Result(columns, rows);
      }
    }
  }

  private static List<String> sorted(List<String> rows) {
    List<String> copy = new ArrayList<>(rows);
    Collections.sort(copy);
    return copy;
  }
}
