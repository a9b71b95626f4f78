package io.deltaview.it.orm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.DeltaviewDatabase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.sql.Connection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.hibernate.Session;
import org.hibernate.SessionFactory;
import org.hibernate.cfg.Configuration;
import org.junit.jupiter.api.Test;

/**
 * The SQL Hibernate generates for a page of entities ({@code setFirstResult}/{@code setMaxResults}: its limit and
 * offset as parameters, {@code offset ? rows fetch first ? rows only}) and for a JPQL count, captured as Hibernate
 * prepares it: each is served from a view of the table's rows, with PostgreSQL's answer.
 */
class HibernatePagingTest {

  /** An order, as the application maps it. */
  @Entity(name = "PagedOrder")
  @Table(name = "paged_orders")
  public static class PagedOrder {
    @Id
    Integer id;
    @Column(name = "customer_id")
    Integer customerId;
    @Column(name = "amount")
    Long amount;
  }

  @Test
  void pagesAndCountsAreServedFromTheView() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("hibernate_paging");
    try (Connection plain = db.plain(); Connection dv = db.deltaview()) {
      pagesAndCounts(db, plain, dv);
    } finally {
      EngineRegistry.stop(db.pgUrl); // its connections are not left to the tests that follow
    }
  }

  private static void pagesAndCounts(DeltaviewDatabase db, Connection plain, Connection dv) throws Exception {
    DeltaviewDatabase.exec(plain, "CREATE TABLE paged_orders (id int PRIMARY KEY, customer_id int NOT NULL,"
        + " amount bigint NOT NULL)");
    DeltaviewDatabase.exec(plain, "INSERT INTO paged_orders SELECT g, g % 7, g * 3 FROM generate_series(1, 300) g");
    DeltaviewDatabase.exec(dv, "CREATE INCREMENTAL VIEW order_rows AS SELECT id, customer_id, amount FROM paged_orders");

    List<String> prepared = new CopyOnWriteArrayList<>();
    Configuration cfg = HibernateConfigurations.overDeltaview(db, PagedOrder.class, "deltaview.consistency=strong")
        .setStatementInspector(sql -> {
          prepared.add(sql);
          return sql;
        });
    try (SessionFactory factory = cfg.buildSessionFactory(); Session session = factory.openSession()) {
      long hitsBefore = hits(dv);
      List<Integer> page = session.createQuery("from PagedOrder o where o.customerId = :c order by o.id",
              PagedOrder.class).setParameter("c", 3).setFirstResult(10).setMaxResults(5).getResultList()
          .stream().map(o -> o.id).toList();
      Long count = session.createQuery("select count(o) from PagedOrder o where o.customerId = :c", Long.class)
          .setParameter("c", 3).getSingleResult();

      assertEquals(2, prepared.size(), prepared.toString());
      assertTrue(prepared.get(0).contains("offset ? rows fetch first ? rows only"), prepared.get(0));
      assertTrue(prepared.get(1).startsWith("select count("), prepared.get(1));
      for (String sql : prepared) {
        List<String> plan = DeltaviewDatabase.explain(dv, sql);
        assertEquals(List.of("t", "public.order_rows"), plan.subList(0, 2), sql + " → " + plan);
      }
      assertEquals(hitsBefore + 2, hits(dv), "both statements read the view");

      assertEquals(DeltaviewDatabase.rows(plain, "SELECT id FROM paged_orders WHERE customer_id = 3 ORDER BY id"
          + " OFFSET 10 LIMIT 5").stream().map(r -> Integer.valueOf(r.get(0))).toList(), page);
      assertEquals(Long.valueOf(DeltaviewDatabase.rows(plain,
          "SELECT count(*) FROM paged_orders WHERE customer_id = 3").get(0).get(0)), count);
    }
  }

  private static long hits(Connection dv) throws Exception {
    String hits = DeltaviewDatabase.showColumn(dv, "public.order_rows", "hits");
    assertTrue(hits != null, "SHOW reports hits where the view is maintained");
    return Long.parseLong(hits);
  }
}
