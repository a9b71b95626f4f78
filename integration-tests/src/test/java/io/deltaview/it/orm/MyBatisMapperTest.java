package io.deltaview.it.orm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.it.DeltaviewDatabase;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.ibatis.annotations.Param;
import org.apache.ibatis.annotations.Select;
import org.apache.ibatis.datasource.unpooled.UnpooledDataSource;
import org.apache.ibatis.mapping.Environment;
import org.apache.ibatis.session.Configuration;
import org.apache.ibatis.session.SqlSession;
import org.apache.ibatis.session.SqlSessionFactory;
import org.apache.ibatis.session.SqlSessionFactoryBuilder;
import org.apache.ibatis.transaction.jdbc.JdbcTransactionFactory;
import org.junit.jupiter.api.Test;

/**
 * MyBatis mappers as applications write them — snake_case columns mapped to camelCase properties, quoted
 * camelCase aliases, {@code #{…}} parameters (prepared statements) — over the Deltaview driver: each mapper
 * query a view answers is served from it, and every answer equals the same mapper's on plain pgjdbc.
 */
class MyBatisMapperTest {

  /** A reporting mapper. */
  public interface SalesMapper {
    @Select("SELECT region, count(*) AS order_count, sum(amount) AS total_amount FROM mb_orders GROUP BY region")
    List<Map<String, Object>> totalsByRegion();

    @Select("SELECT region AS \"regionName\", sum(amount) AS \"totalAmount\" FROM mb_orders"
        + " WHERE region = #{region} GROUP BY region")
    List<Map<String, Object>> totalOf(@Param("region") String region);

    @Select("SELECT id, region, amount FROM mb_orders WHERE status = 'paid' AND amount > #{min} ORDER BY id")
    List<Map<String, Object>> bigPaidOrders(@Param("min") long min);

    @Select("SELECT count(*) FROM mb_orders WHERE status = 'paid'")
    long paidCount();
  }

  @Test
  void mapperQueriesAreServedFromViewsAndAnswerAsPostgres() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("mybatis");
    try (Connection plain = db.plain(); Connection dv = db.deltaview()) {
      DeltaviewDatabase.exec(plain, "CREATE TABLE mb_orders (id int PRIMARY KEY, region text NOT NULL,"
          + " status text NOT NULL, amount bigint NOT NULL)");
      DeltaviewDatabase.exec(plain, "INSERT INTO mb_orders SELECT g, 'region ' || (g % 5),"
          + " CASE WHEN g % 3 = 0 THEN 'paid' ELSE 'open' END, g * 7 FROM generate_series(1, 300) g");
      DeltaviewDatabase.exec(dv, "CREATE INCREMENTAL VIEW mb_region_totals AS SELECT region, count(*) AS n,"
          + " sum(amount) AS total FROM mb_orders GROUP BY region");
      DeltaviewDatabase.exec(dv, "CREATE INCREMENTAL VIEW mb_paid AS SELECT id, region, amount FROM mb_orders"
          + " WHERE status = 'paid'");
      DeltaviewDatabase.exec(plain, "UPDATE mb_orders SET amount = amount + 1 WHERE id % 4 = 0");
      DeltaviewDatabase.await("the views current", Duration.ofSeconds(60), () -> {
        String a = DeltaviewDatabase.difference(plain, "mb_paid",
            "SELECT id, region, amount FROM mb_orders WHERE status = 'paid'");
        return a != null ? a : DeltaviewDatabase.difference(plain, "mb_region_totals",
            "SELECT region, count(*) AS n, sum(amount) AS total FROM mb_orders GROUP BY region");
      });

      SqlSessionFactory viaDeltaview = factory("io.deltaview.driver.DeltaviewDriver", db.deltaviewUrl, db);
      SqlSessionFactory viaPostgres = factory("org.postgresql.Driver", db.pgUrl, db);
      long totalsHits = DeltaviewDatabase.hits(dv, "public.mb_region_totals");
      long paidHits = DeltaviewDatabase.hits(dv, "public.mb_paid");
      try (SqlSession served = viaDeltaview.openSession(true); SqlSession direct = viaPostgres.openSession(true)) {
        SalesMapper s = served.getMapper(SalesMapper.class);
        SalesMapper d = direct.getMapper(SalesMapper.class);
        assertEquals(sorted(d.totalsByRegion()), sorted(s.totalsByRegion()));
        assertEquals(sorted(d.totalOf("region 2")), sorted(s.totalOf("region 2")));
        assertEquals(d.bigPaidOrders(900), s.bigPaidOrders(900));
        assertEquals(d.paidCount(), s.paidCount());
      }
      assertEquals(totalsHits + 2, DeltaviewDatabase.hits(dv, "public.mb_region_totals"),
          "the two region reports were served from mb_region_totals");
      assertEquals(paidHits + 2, DeltaviewDatabase.hits(dv, "public.mb_paid"),
          "the paid orders and their count were served from mb_paid");
      // Camel-case labels survive the rewrite, as MyBatis maps by them.
      try (SqlSession served = viaDeltaview.openSession(true)) {
        Map<String, Object> row = served.getMapper(SalesMapper.class).totalOf("region 3").get(0);
        assertTrue(row.containsKey("regionName") && row.containsKey("totalAmount"), row.toString());
      }
    }
  }

  private static SqlSessionFactory factory(String driver, String url, DeltaviewDatabase db) {
    Properties credentials = db.server.credentials();
    UnpooledDataSource source = new UnpooledDataSource(driver, url, credentials.getProperty("user"),
        credentials.getProperty("password", ""));
    Configuration configuration = new Configuration(new Environment("test", new JdbcTransactionFactory(), source));
    configuration.setMapUnderscoreToCamelCase(true);
    configuration.addMapper(SalesMapper.class);
    return new SqlSessionFactoryBuilder().build(configuration);
  }

  /** Rows in a stable order with stable key order, for comparing result sets whose order is not defined. */
  private static List<String> sorted(List<Map<String, Object>> rows) {
    List<String> out = new ArrayList<>();
    for (Map<String, Object> r : rows) {
      out.add(new TreeMap<>(r).toString());
    }
    out.sort(null);
    return out;
  }
}
