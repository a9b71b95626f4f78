package io.deltaview.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.sink.ResultColumn;
import io.deltaview.flink.job.JobSpec;
import io.deltaview.rewriter.schema.CatalogSchema;
import io.deltaview.rewriter.sql.SqlFrontEnd;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FlinkSqlTranslatorTest {

  private static final CatalogSchema SCHEMA = CatalogSchema.builder()
      .table("public", "customers")
          .column("id", "integer", false).column("region", "text", false).column("active", "boolean")
          .column("signed_up", "timestamp without time zone").primaryKey("id").done()
      .table("public", "orders")
          .column("id", "bigint", false).column("customer_id", "integer", false).column("amount", "numeric(10,2)")
          .column("qty", "integer").column("big", "bigint").column("status", "text", false).column("placed", "date")
          .primaryKey("id").done()
      .table("public", "regions")
          .column("name", "text", false).primaryKey("name").done()
      .table("public", "no_key")
          .column("id", "integer").done()
      .table("public", "Mixed")
          .column("id", "integer", false).primaryKey("id").done()
      .build();

  private static final FlinkSqlTranslator.Target TARGET =
      new FlinkSqlTranslator.Target("db.example", 5432, "shop", "deltaview", "dvf_1234", "dvf_1234");

  private static JobSpec translate(String sql, List<ResultColumn> columns, int... key) throws SQLException {
    return FlinkSqlTranslator.translate(new SqlFrontEnd(SCHEMA).toRel(sql), SCHEMA,
        new FlinkSqlTranslator.ResultTable("public", "v", columns, key), TARGET, Map.of());
  }

  private static List<ResultColumn> columns(String... nameType) {
    List<ResultColumn> out = new ArrayList<>();
    for (int i = 0; i < nameType.length; i += 2) {
      out.add(new ResultColumn(nameType[i], nameType[i + 1]));
    }
    return out;
  }

  private static SQLException refused(String sql, List<ResultColumn> columns, int... key) {
    return assertThrows(SQLException.class, () -> translate(sql, columns, key));
  }

  @Test
  void filterJoinGroupByBecomesTwoCdcSourcesAndAnUpsertSinkKeyedByTheGroup() throws SQLException {
    JobSpec job = translate("SELECT c.region, count(*) AS n, sum(o.qty) AS qty, sum(o.big) AS big,"
            + " sum(o.amount) AS amount, min(o.placed) AS first_placed, max(o.amount) AS top"
            + " FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.status = 'paid' AND o.qty > 2"
            + " GROUP BY c.region",
        columns("region", "text", "n", "bigint", "qty", "bigint", "big", "numeric", "amount", "numeric",
            "first_placed", "date", "top", "numeric(10,2)"), 0);

    assertEquals(2, job.sources().size());
    JobSpec.Table orders = job.sources().get(0);
    assertEquals("postgres-cdc", orders.connector());
    assertEquals("orders", orders.options().get("table-name"));
    assertEquals("dvf_1234_0", orders.options().get("slot.name"));
    assertEquals("pgoutput", orders.options().get("decoding.plugin.name"));
    assertEquals("true", orders.options().get("scan.incremental.snapshot.enabled"));
    assertEquals(List.of("id"), orders.primaryKey());
    assertEquals(new JobSpec.Column("id", "BIGINT NOT NULL"), orders.columns().get(0));
    assertEquals(new JobSpec.Column("amount", "DECIMAL(10, 2)"), orders.columns().get(2));
    assertEquals("dvf_1234_1", job.sources().get(1).options().get("slot.name"));
    // the timestamp column is never read, so it is not declared to Flink at all
    assertTrue(job.sources().get(1).columns().stream().noneMatch(c -> c.name().equals("signed_up")));

    JobSpec.Table sink = job.sink();
    assertEquals("jdbc", sink.connector());
    assertEquals("public.v", sink.options().get("table-name"));
    assertEquals("jdbc:postgresql://db.example:5432/shop", sink.options().get("url"));
    assertEquals(List.of("region"), sink.primaryKey());
    assertEquals(List.of("STRING NOT NULL", "BIGINT", "BIGINT", "DECIMAL(38, 0)", "DECIMAL(38, 2)", "DATE",
        "DECIMAL(10, 2)"), sink.columns().stream().map(JobSpec.Column::type).toList());

    String insert = job.insertSql();
    assertTrue(insert.startsWith("INSERT INTO `result_table`"), insert);
    assertTrue(insert.contains("SUM(CAST(t.c"), insert);
    assertTrue(insert.contains("AS BIGINT))"), "sum(integer) is widened to bigint as PostgreSQL does: " + insert);
    assertTrue(insert.contains("AS DECIMAL(38, 0)))"), "sum(bigint) is numeric in PostgreSQL: " + insert);
    assertTrue(insert.contains("CAST('paid' AS STRING)"), insert);
    assertTrue(insert.contains("JOIN"), insert);
    assertFalse(insert.contains("orders"), "tables are read through their Flink source tables only: " + insert);
  }

  @Test
  void distinctHavingAndThreeWayJoinsTranslate() throws SQLException {
    JobSpec distinct = translate("SELECT DISTINCT customer_id, status FROM orders",
        columns("customer_id", "integer", "status", "text"), 0, 1);
    assertTrue(distinct.insertSql().contains("GROUP BY t.c0, t.c1"), distinct.insertSql());
    JobSpec having = translate("SELECT o.status, count(*) AS n FROM orders o JOIN customers c ON c.id = o.customer_id"
            + " JOIN orders o2 ON o2.id = o.id GROUP BY o.status HAVING count(*) > 2 AND sum(o2.qty) >= 10",
        columns("status", "text", "n", "bigint"), 0);
    assertEquals(3, having.sources().size(), "one source per scan, each with its own slot");
    assertEquals(3, having.sources().stream().map(t -> t.options().get("slot.name")).distinct().count());
    assertTrue(having.insertSql().contains("> (2)"), having.insertSql());
    SQLException countDistinct = refused("SELECT status, count(DISTINCT customer_id) AS n FROM orders GROUP BY status",
        columns("status", "text", "n", "bigint"), 0);
    assertEquals("0A000", countDistinct.getSQLState());
  }

  @Test
  void inListsAndRangesAreExpandedIntoComparisons() throws SQLException {
    JobSpec job = translate("SELECT customer_id, count(*) AS n FROM orders WHERE qty BETWEEN 2 AND 5"
        + " AND status IN ('paid', 'new') AND placed >= DATE '2026-03-01' GROUP BY customer_id",
        columns("customer_id", "integer", "n", "bigint"), 0);
    String insert = job.insertSql();
    assertTrue(insert.contains(">= (2)") && insert.contains("<= (5)"), insert);
    assertTrue(insert.contains("= CAST('paid' AS STRING)") && insert.contains("= CAST('new' AS STRING)"), insert);
    assertTrue(insert.contains("DATE '2026-03-01'"), insert);
    assertFalse(insert.contains("SEARCH") || insert.contains("Sarg"), insert);
  }

  @Test
  void theJobTravelsWithItsPasswordWhichNeverShowsInItsDescription() throws Exception {
    JobSpec job = translate("SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id",
        columns("customer_id", "integer", "n", "bigint"), 0);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    job.write(out, "s3cret'pw");
    out.write("stop\n".getBytes());
    ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());
    JobSpec.Received back = JobSpec.read(in);
    assertEquals(job, back.spec());
    assertEquals("s3cret'pw", back.password());
    assertEquals("stop\n", new String(in.readAllBytes()), "the commands after the job stay unread");
    assertEquals("s3cret'pw", back.spec().sources().get(0).withPassword("s3cret'pw").get("password"));
    String described = job.describe();
    assertFalse(described.contains("s3cret"), described);
    assertTrue(described.contains("'password' = '******'"), described);
    assertThrows(IllegalArgumentException.class, () -> new JobSpec.Table("t", "jdbc", List.of(), List.of(),
        Map.of("password", "x")));
  }

  @Test
  void aLeftJoinKeepsItsWholeConditionInItsOnAndAggregatesTheNullExtendedRows() throws SQLException {
    JobSpec job = translate("SELECT c.id, count(*) AS n, count(o.id) AS orders, sum(o.qty) AS qty,"
            + " min(o.placed) AS first_placed, max(o.amount) AS top"
            + " FROM customers c LEFT JOIN orders o ON o.customer_id = c.id AND o.qty > 2 AND c.active"
            + " GROUP BY c.id",
        columns("id", "integer", "n", "bigint", "orders", "bigint", "qty", "bigint", "first_placed", "date",
            "top", "numeric(10,2)"), 0);
    String insert = job.insertSql();
    assertTrue(insert.contains(") AS l LEFT JOIN ("), insert);
    // the conditions on either side stay in ON: neither a filter of the preserved side nor one of the other
    String on = insert.substring(insert.indexOf(" LEFT JOIN ("));
    on = on.substring(on.indexOf(") AS r ON "));
    assertTrue(on.startsWith(") AS r ON (") && on.contains("> (2)") && on.contains("l.c2"), on);
    assertFalse(insert.contains("WHERE"), "an outer join's condition is not a filter: " + insert);
    assertTrue(insert.contains("COUNT(*)") && insert.contains("COUNT(t.c"), insert);
    assertEquals(List.of("INT NOT NULL", "BIGINT", "BIGINT", "BIGINT", "DATE", "DECIMAL(10, 2)"),
        job.sink().columns().stream().map(JobSpec.Column::type).toList());
    assertEquals(List.of("id"), job.sink().primaryKey());

    JobSpec where = translate("SELECT c.id, count(o.id) AS n FROM customers c LEFT JOIN orders o"
        + " ON o.customer_id = c.id WHERE o.id IS NULL OR o.status = 'paid' GROUP BY c.id",
        columns("id", "integer", "n", "bigint"), 0);
    assertTrue(where.insertSql().contains("LEFT JOIN") && where.insertSql().contains("WHERE"),
        "a WHERE over an outer join stays above it: " + where.insertSql());
  }

  @Test
  void rightAndFullJoinsTranslateWhenTheKeyComesFromAPreservedSide() throws SQLException {
    JobSpec right = translate("SELECT c.id, count(o.id) AS n FROM orders o RIGHT JOIN customers c"
        + " ON o.customer_id = c.id AND o.status <> 'new' GROUP BY c.id", columns("id", "integer", "n", "bigint"), 0);
    assertTrue(right.insertSql().contains(") AS l RIGHT JOIN ("), right.insertSql());
    assertEquals("INT NOT NULL", right.sink().columns().get(0).type());

    JobSpec full = translate("SELECT r.name, count(*) AS n, count(c.id) AS customers, count(o.id) AS orders,"
            + " sum(o.qty) AS qty FROM customers c FULL JOIN orders o ON o.customer_id = c.id AND o.qty > 1"
            + " RIGHT JOIN regions r ON r.name = c.region OR r.name = o.status GROUP BY r.name",
        columns("name", "text", "n", "bigint", "customers", "bigint", "orders", "bigint", "qty", "bigint"), 0);
    assertTrue(full.insertSql().contains(") AS l FULL JOIN ("), full.insertSql());
    assertTrue(full.insertSql().contains(") AS l RIGHT JOIN ("), full.insertSql());
    assertTrue(full.insertSql().contains(" OR "), full.insertSql());
    assertEquals(3, full.sources().size());
  }

  @Test
  void aJoinKeyCastBelowTheJoinLeavesTheTablesUnreadableColumnsUnread() throws SQLException {
    // Calcite computes CAST(c.id AS BIGINT) in a projection of every column of customers, signed_up included
    JobSpec job = translate("SELECT c.id, count(o.id) AS n FROM customers c LEFT JOIN orders o ON o.big = c.id"
        + " GROUP BY c.id", columns("id", "integer", "n", "bigint"), 0);
    assertTrue(job.insertSql().contains("CAST(t.c0 AS BIGINT)"), job.insertSql());
    assertTrue(job.sources().get(0).columns().stream().noneMatch(c -> c.name().equals("signed_up")));
    SQLException read = refused("SELECT c.id, max(c.signed_up) AS s FROM customers c LEFT JOIN orders o"
        + " ON o.big = c.id GROUP BY c.id", columns("id", "integer", "s", "timestamp without time zone"), 0);
    assertTrue(read.getMessage().contains("reading column signed_up"), read.getMessage());
  }

  @Test
  void anUncorrelatedInIsAJoinWithADistinctAndExistsIsRefused() throws SQLException {
    JobSpec in = translate("SELECT c.id, count(*) AS n FROM customers c"
        + " WHERE c.id IN (SELECT customer_id FROM orders WHERE qty > 1) GROUP BY c.id",
        columns("id", "integer", "n", "bigint"), 0);
    assertTrue(in.insertSql().contains(") AS l JOIN (") && in.insertSql().contains("GROUP BY"), in.insertSql());
    for (String exists : List.of("EXISTS", "NOT EXISTS")) {
      SQLException e = refused("SELECT c.id, count(*) AS n FROM customers c WHERE " + exists
          + " (SELECT 1 FROM orders o WHERE o.customer_id = c.id) GROUP BY c.id",
          columns("id", "integer", "n", "bigint"), 0);
      assertEquals("0A000", e.getSQLState());
      assertTrue(e.getMessage().contains("MIN of BOOLEAN (as Calcite plans EXISTS"), e.getMessage());
    }
  }

  @Test
  void keysThatMayBeNullAfterAnOuterJoinAreRefused() {
    SQLException nullSide = refused("SELECT o.status, count(*) AS n FROM customers c LEFT JOIN orders o"
        + " ON o.customer_id = c.id GROUP BY o.status", columns("status", "text", "n", "bigint"), 0);
    assertEquals("0A000", nullSide.getSQLState());
    assertTrue(nullSide.getMessage().contains("key column status, which may be NULL"), nullSide.getMessage());
    SQLException rightSide = refused("SELECT c.id, count(*) AS n FROM customers c RIGHT JOIN orders o"
        + " ON o.customer_id = c.id GROUP BY c.id", columns("id", "integer", "n", "bigint"), 0);
    assertTrue(rightSide.getMessage().contains("key column id, which may be NULL"), rightSide.getMessage());
    SQLException full = refused("SELECT c.id, count(o.id) AS n FROM customers c FULL JOIN orders o"
        + " ON o.customer_id = c.id GROUP BY c.id", columns("id", "integer", "n", "bigint"), 0);
    assertTrue(full.getMessage().contains("key column id, which may be NULL"), full.getMessage());
    SQLException nullable = refused("SELECT qty, count(*) AS n FROM orders GROUP BY qty",
        columns("qty", "integer", "n", "bigint"), 0);
    assertTrue(nullable.getMessage().contains("key column qty, which may be NULL"), nullable.getMessage());
  }

  @Test
  void anOuterJoinsConditionIsTranslatedOnlyWhereExact() {
    SQLException text = refused("SELECT c.id, count(o.id) AS n FROM customers c LEFT JOIN orders o"
        + " ON o.customer_id = c.id AND o.status < 'b' GROUP BY c.id", columns("id", "integer", "n", "bigint"), 0);
    assertEquals("0A000", text.getSQLState());
    assertTrue(text.getMessage().contains("ordering comparison < of text"), text.getMessage());
    SQLException arithmetic = refused("SELECT c.id, count(o.id) AS n FROM customers c LEFT JOIN orders o"
        + " ON o.customer_id = c.id + 1 GROUP BY c.id", columns("id", "integer", "n", "bigint"), 0);
    assertEquals("0A000", arithmetic.getSQLState());
    assertTrue(arithmetic.getMessage().contains("+"), arithmetic.getMessage());
  }

  @Test
  void averagesAreRefusedRatherThanComputedWithFlinksScale() {
    SQLException e = refused("SELECT customer_id, avg(qty) AS a FROM orders GROUP BY customer_id",
        columns("customer_id", "integer", "a", "numeric"), 0);
    assertEquals("0A000", e.getSQLState());
    assertTrue(e.getMessage().contains("AVG"), e.getMessage());
  }

  @Test
  void textOrderingIsRefusedBecauseFlinkIgnoresTheCollation() {
    SQLException min = refused("SELECT customer_id, min(status) AS s FROM orders GROUP BY customer_id",
        columns("customer_id", "integer", "s", "text"), 0);
    assertEquals("0A000", min.getSQLState());
    assertTrue(min.getMessage().contains("MIN of STRING"), min.getMessage());
    SQLException less = refused("SELECT customer_id, count(*) AS n FROM orders WHERE status < 'b' GROUP BY customer_id",
        columns("customer_id", "integer", "n", "bigint"), 0);
    assertEquals("0A000", less.getSQLState());
    assertTrue(less.getMessage().contains("ordering comparison < of text"), less.getMessage());
  }

  @Test
  void aggregatesWithoutGroupByArithmeticAndUnreadableColumnsAreRefused() {
    SQLException global = refused("SELECT count(*) AS n FROM orders", columns("n", "bigint"));
    assertTrue(global.getMessage().contains("without GROUP BY"), global.getMessage());
    SQLException arithmetic = refused("SELECT id, qty + 1 AS q FROM orders", columns("id", "bigint", "q", "integer"), 0);
    assertTrue(arithmetic.getMessage().contains("+"), arithmetic.getMessage());
    SQLException timestamp = refused("SELECT id, signed_up FROM customers",
        columns("id", "integer", "signed_up", "timestamp without time zone"), 0);
    assertTrue(timestamp.getMessage().contains("signed_up"), timestamp.getMessage());
    SQLException sorted = refused("SELECT id FROM orders ORDER BY id LIMIT 3", columns("id", "bigint"), 0);
    assertTrue(sorted.getMessage().contains("ORDER BY / LIMIT"), sorted.getMessage());
  }

  @Test
  void viewsWithoutAKeyAreRefusedSinceTheSinkWritesByKey() {
    SQLException e = refused("SELECT customer_id, qty FROM orders", columns("customer_id", "integer", "qty", "integer"));
    assertEquals("0A000", e.getSQLState());
    assertTrue(e.getMessage().contains("without a key"), e.getMessage());
  }

  @Test
  void namesTheConnectorsWouldSpliceUnquotedAreRefused() {
    SQLException table = refused("SELECT id FROM \"Mixed\"", columns("id", "integer"), 0);
    assertEquals("0A000", table.getSQLState());
    assertTrue(table.getMessage().contains("\"Mixed\""), table.getMessage());
    SQLException column = refused("SELECT customer_id AS \"Who\", count(*) AS n FROM orders GROUP BY customer_id",
        columns("Who", "integer", "n", "bigint"), 0);
    assertTrue(column.getMessage().contains("\"Who\""), column.getMessage());
  }

  @Test
  void tablesWithoutAPrimaryKeyCannotBeSnapshotIncrementally() {
    SQLException e = refused("SELECT id, count(*) AS n FROM no_key GROUP BY id", columns("id", "integer", "n", "bigint"));
    assertEquals("55000", e.getSQLState());
    assertTrue(e.getMessage().contains("no primary key"), e.getMessage());
  }

  @Test
  void resultColumnsWhoseTypeDiffersFromFlinksAreRefused() {
    SQLException e = refused("SELECT customer_id, sum(qty) AS s FROM orders GROUP BY customer_id",
        columns("customer_id", "integer", "s", "integer"), 0);
    assertEquals("0A000", e.getSQLState());
    assertTrue(e.getMessage().contains("column s of type integer"), e.getMessage());
  }
}
