package io.deltaview.engine.dataflow;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.deltaview.engine.compile.SqlFixture;
import io.deltaview.engine.compile.ViewCompiler;
import io.deltaview.engine.state.Checkpointable;
import java.util.List;
import org.junit.jupiter.api.Test;

/** SQL in, dataflow out: what the translator and the passes make of each shape, as EXPLAIN prints it. */
class DataflowPlanTest {

  private static List<String> plan(String sql) {
    List<String> lines = DataflowPrinter.lines(ViewCompiler.compile(SqlFixture.plan(sql)).dataflow());
    System.out.println(sql + "\n  " + String.join("\n  ", lines));
    return lines;
  }

  @Test
  void threeInnerJoinsBecomeOneDeltaJoinWithTheProjectionFused() {
    List<String> lines = plan("select c.name, ol.qty from customers c join orders o on o.customer_id = c.id"
        + " join order_lines ol on ol.order_id = o.id");
    // customers (id, name) are $0, $1; orders (id, customer_id) $2, $3; order_lines (order_id, qty) $4, $5
    assertEquals("DeltaJoin on $2 = $4 AND $0 = $3 output [name=$1, qty=$5]"
        + "  [state: each input's rows by the columns other inputs probe it with]", lines.get(0));
    // the field trimmer keeps only the columns used, in a projection right above each scan
    assertEquals("  Project [id=$0, name=$2]", lines.get(1));
    assertEquals("    Scan public.customers [id, region, name]", lines.get(2));
    assertEquals(7, lines.size(), String.join("\n", lines));
  }

  @Test
  void equalSubPlansAreOneNode() {
    // decorrelating the two subqueries repeats the join around them: its copies become one node
    List<String> lines = plan("select c.name, count(*) as n from customers c join orders o on o.customer_id = c.id"
        + " where exists (select 1 from orders o2 where o2.customer_id = o.customer_id and o2.id <> o.id)"
        + " and not exists (select 1 from orders o3 where o3.customer_id = o.customer_id and o3.id <> o.id"
        + " and o3.status = 'cancelled') group by c.name");
    String plan = String.join("\n", lines);
    assertEquals(true, plan.contains("[shared #1]"), plan);
    assertEquals(true, plan.contains("Shared #1"), plan);
    List<Checkpointable> state = ViewCompiler.compile(SqlFixture.plan("select c.name, count(*) as n from customers c"
        + " join orders o on o.customer_id = c.id where exists (select 1 from orders o2 where o2.customer_id ="
        + " o.customer_id and o2.id <> o.id) and not exists (select 1 from orders o3 where o3.customer_id ="
        + " o.customer_id and o3.id <> o.id and o3.status = 'cancelled') group by c.name")).checkpointableState();
    assertEquals(lines.stream().filter(l -> l.contains("[state: ")).count(), state.size(),
        "each stateful node of the printed plan holds its state once");
  }

  @Test
  void aLeftJoinKeepsMatchCountsOnItsPreservedSideOnly() {
    List<String> lines = plan("select c.name, o.status from customers c left join orders o"
        + " on o.customer_id = c.id and o.status <> c.name");
    assertEquals("LeftJoin on left.id = right.customer_id AND <>($3, $1) output [name=$1, status=$3]"
        + "  [state: left rows by [0] with match counts, right rows by [0]]", lines.get(0));
  }

  @Test
  void aFullJoinKeepsMatchCountsOnBothSides() {
    List<String> lines = plan("select c.name, o.status from customers c full join orders o on o.customer_id = c.id");
    assertEquals(true, lines.get(0).startsWith("FullJoin on left.id = right.customer_id"), lines.get(0));
    assertEquals(true, lines.get(0).endsWith(
        "[state: left rows by [0] with match counts, right rows by [0] with match counts]"), lines.get(0));
  }

  @Test
  void anOuterJoinIsNeverPartOfADeltaJoin() {
    List<String> lines = plan("select c.name, ol.qty from customers c left join orders o on o.customer_id = c.id"
        + " join order_lines ol on ol.order_id = o.id");
    assertEquals(true, lines.get(0).startsWith("Join on "), lines.get(0));
    assertEquals(true, lines.get(1).startsWith("  LeftJoin on "), lines.get(1));
  }

  @Test
  void setOperationsCountRowsPerInput() {
    assertEquals("Except  [state: each distinct row's count in each input]",
        plan("select customer_id from orders except select id from customers").get(0));
    assertEquals("UnionAll", plan("select customer_id from orders union all select id from customers").get(0));
  }

  @Test
  void anAggregateShowsItsGroupsAndCalls() {
    assertEquals("Aggregate group by [order_id] [n=COUNT(*), hi=MAX(price)]"
        + "  [state: groups by [0]: row count, sums, sorted values for MIN/MAX]",
        plan("select order_id, count(*) as n, max(price) as hi from order_lines group by order_id").get(0));
  }

  @Test
  void aCommaJoinsConditionsBecomeJoinKeysNotAFilterOverACrossProduct() {
    List<String> lines = plan("select c.name, o.status from customers c, orders o, order_lines ol"
        + " where o.customer_id = c.id and ol.order_id = o.id and (ol.qty > 1 and o.id = ol.order_id or"
        + " ol.qty < 0 and ol.order_id = o.id)");
    assertEquals(true, lines.get(0).startsWith("DeltaJoin on "), String.join("\n", lines));
    assertEquals(false, String.join("\n", lines).contains("Join on true"), String.join("\n", lines));
  }

  @Test
  void anOrderedAggregateShowsItsOrderSeparatorAndFilter() {
    assertEquals("Aggregate group by [order_id] [s=STRING_AGG($f1, '; ' ORDER BY [id DESC NULLS FIRST]),"
        + " a=ARRAY_AGG(qty ORDER BY [qty NULLS LAST, id NULLS LAST]) FILTER ($f5)]"
        + "  [state: groups by [0]: row count, sums, values in ORDER BY order]",
        plan("select order_id, string_agg(cast(qty as varchar), '; ' order by id desc) as s,"
            + " array_agg(qty order by qty, id) filter (where price > 5) as a from order_lines group by order_id")
            .get(0));
  }

  @Test
  void aVarianceKeepsSumsOfSquares() {
    assertEquals("Aggregate group by [order_id] [sd=STDDEV_SAMP(qty), v=VAR_POP(price)]"
        + "  [state: groups by [0]: row count, sums, sums of squares]",
        plan("select order_id, stddev(qty) as sd, var_pop(price) as v from order_lines group by order_id").get(0));
  }

  @Test
  void ntileAndNthValueAreWindowFunctionsOverTheirFrame() {
    List<String> lines = plan("select id, ntile(3) over (partition by order_id order by id) as t,"
        + " nth_value(price, 2) over (partition by order_id order by id) as n from order_lines");
    String all = String.join("\n", lines);
    assertEquals(true, all.contains("t=NTILE(3)"), all);
    assertEquals(true, all.contains("n=NTH_VALUE(price, 2)"), all);
    assertEquals(true, all.contains("RANGE between UNBOUNDED PRECEDING and CURRENT ROW"), all);
  }

  @Test
  void aValuesListIsAConstantInputInsertedOnce() {
    List<String> lines = plan("select o.id, v.label from orders o join (values (1, 'one'), (2, 'two')) as v(k, label)"
        + " on v.k = o.customer_id");
    assertEquals(true, lines.get(0).startsWith("Join on left.customer_id = right.k"), String.join("\n", lines));
    assertEquals("  Values [k, label] (1, 'one'), (2, 'two')  [state: whether its rows were inserted]",
        lines.get(lines.size() - 1));
  }

  @Test
  void aRangeFrameWithOffsetsShowsThemInTheKeysUnits() {
    assertEquals(true, plan("select id, sum(qty) over (order by price range between 10.5 preceding and 2 following)"
        + " as s from order_lines").stream().anyMatch(l -> l.contains("RANGE between 10.5 PRECEDING and 2 FOLLOWING")));
    assertEquals(true, plan("select id, count(*) over (order by created_at range between interval '36' hour preceding"
        + " and current row) as n from orders").stream()
        .anyMatch(l -> l.contains("RANGE between '36:00:00' PRECEDING and CURRENT ROW")));
  }

  @Test
  void aRangeFrameOffsetMustSuitTheOrderKey() {
    io.deltaview.engine.compile.UnsupportedConstructException e = org.junit.jupiter.api.Assertions.assertThrows(
        io.deltaview.engine.compile.UnsupportedConstructException.class, () -> plan("select id, count(*) over"
            + " (order by qty range between 1.5 preceding and current row) as n from order_lines"));
    assertEquals("RANGE with offset PRECEDING/FOLLOWING for column type INTEGER and offset type DECIMAL",
        e.construct());
  }
}
