package io.deltaview.engine.dataflow;

import io.deltaview.engine.compile.SqlFixture;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.plan.hep.HepPlanner;
import org.apache.calcite.plan.hep.HepProgramBuilder;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.rules.CoreRules;
import org.junit.jupiter.api.Test;

class ScratchTest {
  @Test
  void show() {
    String[] qs = {
      "select id, customer_id, row_number() over (partition by customer_id order by id) as rn,"
          + " rank() over (order by customer_id) as r, sum(id) over (partition by customer_id order by created_at) as s,"
          + " avg(id) over (partition by status) as a, lag(id, 2, -1) over (order by id) as l,"
          + " count(*) over (order by id rows between 2 preceding and 1 following) as c,"
          + " first_value(created_at) over (partition by status order by id) as f from orders",
      "select * from (select id, status, row_number() over (partition by status order by id desc) as rn from orders) x where rn <= 2",
    };
    for (String q : qs) {
      RelNode plan = SqlFixture.plan(q);
      HepPlanner p = new HepPlanner(new HepProgramBuilder().addRuleInstance(CoreRules.PROJECT_TO_LOGICAL_PROJECT_AND_WINDOW).build());
      p.setRoot(plan);
      RelNode w = p.findBestExp();
      System.out.println("=== " + q + "\n" + RelOptUtil.toString(plan) + "\n" + RelOptUtil.toString(w));
    }
  }
}
