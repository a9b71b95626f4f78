package io.deltaview.engine.view;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.compile.SqlFixture;
import org.junit.jupiter.api.Test;

class TextCollationsTest {

  private static String ordering(String sql) {
    return TextCollations.textOrdering(SqlFixture.plan(sql));
  }

  @Test
  void constructsThatOrderTextAreFound() {
    assertEquals("MAX of text", ordering("select region, max(name) as m from customers group by region"));
    assertEquals("MIN of text", ordering("select min(status) as s from orders"));
    assertTrue(ordering("select id from customers where name < 'm'").contains("comparison of text"));
    assertTrue(ordering("select id from customers where name >= region").contains("comparison of text"));
    assertTrue(ordering("select id from customers where name between 'a' and 'm'").contains("text"));
    assertTrue(ordering("select o.id from orders o join customers c on c.id = o.customer_id and c.name > o.status")
        .contains("comparison of text"));
    assertTrue(ordering("select id, case when name > 'k' then 1 else 0 end as late from customers")
        .contains("comparison of text"));
    assertTrue(ordering("select id from orders o where exists (select 1 from customers c"
        + " where c.id = o.customer_id and c.name > 'k')").contains("text"));
  }

  @Test
  void equalityGroupingAndOrderingOfOtherTypesAreNot() {
    assertNull(ordering("select id from customers where name = 'a' or region <> 'eu'"));
    assertNull(ordering("select id from customers where name in ('a', 'b', 'c')"));
    assertNull(ordering("select id from customers where name not in ('a', 'b')"));
    assertNull(ordering("select region, count(*) as n, count(distinct name) as d from customers group by region"));
    assertNull(ordering("select max(id) as m, min(created_at) as f from orders where id > 3"));
    assertNull(ordering("select c.name, o.id from customers c join orders o on o.customer_id = c.id"));
  }

  @Test
  void codePointCollations() {
    for (String c : new String[] {"C", "POSIX", "C.UTF-8", "C.utf8", "ucs_basic", "pg_c_utf8"}) {
      assertTrue(TextCollations.codePoint(c), c);
    }
    for (String c : new String[] {"en_US.UTF-8", "en-x-icu", "und-x-icu", "default", ""}) {
      assertFalse(TextCollations.codePoint(c), c);
    }
    assertFalse(TextCollations.codePoint(null));
  }
}
