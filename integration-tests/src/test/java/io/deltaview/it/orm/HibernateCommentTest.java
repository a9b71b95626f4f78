package io.deltaview.it.orm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.it.DeltaviewDatabase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.hibernate.Session;
import org.hibernate.SessionFactory;
import org.hibernate.cfg.Configuration;
import org.junit.jupiter.api.Test;

/**
 * A Hibernate application marks a JPQL query for Deltaview without native SQL: {@code Query.setComment
 * ("incremental")} with {@code hibernate.use_sql_comments=true} puts {@code /* incremental *&#47;} in front of the
 * SQL Hibernate generates, which marks it as the {@code /*+ incremental *&#47;} hint does. In opt-in mode only
 * the marked query is served from the view, and both answers equal PostgreSQL's.
 */
class HibernateCommentTest {

  /** An order, as the application maps it. */
  @Entity(name = "HbOrder")
  @Table(name = "hb_orders")
  public static class HbOrder {
    @Id
    Integer id;
    @Column(name = "customer_id")
    Integer customerId;
    @Column(name = "amount")
    Long amount;
  }

  private static final String JPQL = "select o.customerId, sum(o.amount), count(o.id) from HbOrder o"
      + " group by o.customerId";
  private static final String VIEW = "SELECT customer_id, sum(amount) AS total, count(id) AS n FROM hb_orders"
      + " GROUP BY customer_id";

  @Test
  void aJpqlQueryWithTheIncrementalCommentIsServedFromTheView() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("hibernate");
    try (Connection plain = db.plain(); Connection dv = db.deltaview()) {
      DeltaviewDatabase.exec(plain, "CREATE TABLE hb_orders (id int PRIMARY KEY, customer_id int NOT NULL,"
          + " amount bigint NOT NULL)");
      DeltaviewDatabase.exec(plain, "INSERT INTO hb_orders SELECT g, g % 7, g * 3 FROM generate_series(1, 200) g");
      DeltaviewDatabase.exec(dv, "CREATE INCREMENTAL VIEW hb_totals AS " + VIEW);
      DeltaviewDatabase.exec(plain, "UPDATE hb_orders SET amount = amount + 1 WHERE id % 5 = 0");
      DeltaviewDatabase.await("hb_totals current", Duration.ofSeconds(60),
          () -> DeltaviewDatabase.difference(plain, "hb_totals", VIEW));

      Configuration cfg = HibernateConfigurations.overDeltaview(db, HbOrder.class, "deltaview.mode=opt-in")
          .setProperty("hibernate.use_sql_comments", "true");
      List<String> expected = sorted(DeltaviewDatabase.rows(plain,
          "SELECT customer_id, sum(amount), count(id) FROM hb_orders GROUP BY customer_id"));
      try (SessionFactory factory = cfg.buildSessionFactory(); Session session = factory.openSession()) {
        long hitsBefore = hits(dv);
        List<Object[]> marked = session.createQuery(JPQL, Object[].class).setComment("incremental").getResultList();
        assertEquals(expected, sortedRows(marked));
        assertEquals(hitsBefore + 1, hits(dv), "the marked query was served from hb_totals");

        List<Object[]> unmarked = session.createQuery(JPQL, Object[].class).getResultList();
        assertEquals(expected, sortedRows(unmarked));
        assertEquals(hitsBefore + 1, hits(dv), "in opt-in mode the unmarked one went to PostgreSQL");

        List<Object[]> other = session.createQuery(JPQL, Object[].class).setComment("incremental report")
            .getResultList();
        assertEquals(expected, sortedRows(other));
        assertEquals(hitsBefore + 1, hits(dv), "a comment that says more is no mark");
      }
    }
  }

  private static long hits(Connection dv) throws Exception {
    String hits = DeltaviewDatabase.showColumn(dv, "public.hb_totals", "hits");
    assertTrue(hits != null, "SHOW reports hits where the view is maintained");
    return Long.parseLong(hits);
  }

  private static List<String> sortedRows(List<Object[]> rows) {
    List<String> out = new ArrayList<>();
    for (Object[] r : rows) {
      out.add(r[0] + "|" + r[1] + "|" + r[2]);
    }
    out.sort(null);
    return out;
  }

  private static List<String> sorted(List<List<String>> rows) {
    List<String> out = new ArrayList<>();
    for (List<String> r : rows) {
      out.add(String.join("|", r));
    }
    out.sort(null);
    return out;
  }
}
