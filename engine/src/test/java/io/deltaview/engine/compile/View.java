package io.deltaview.engine.compile;

import io.deltaview.engine.operator.ZSet;
import io.deltaview.engine.row.Row;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Test harness: a compiled view plus helpers to feed one transaction of table changes. */
final class View {

  final String sql;
  final ViewPipeline pipeline;

  View(String sql) {
    this.sql = sql;
    this.pipeline = ViewCompiler.compile(SqlFixture.plan(sql));
  }

  boolean isSource(String table) {
    return pipeline.sourceTables().stream().anyMatch(n -> n.get(n.size() - 1).equals(table));
  }

  int source(String table) {
    List<List<String>> sources = pipeline.sourceTables();
    for (int i = 0; i < sources.size(); i++) {
      List<String> name = sources.get(i);
      if (name.get(name.size() - 1).equals(table)) {
        return i;
      }
    }
    throw new IllegalArgumentException(table + " is not a source of " + sql);
  }

  /** One transaction: alternating table name and Z-set. */
  ZSet tx(Object... tableDeltaPairs) {
    Map<Integer, ZSet> deltas = new HashMap<>();
    for (int i = 0; i < tableDeltaPairs.length; i += 2) {
      if (isSource((String) tableDeltaPairs[i])) {
        deltas.put(source((String) tableDeltaPairs[i]), (ZSet) tableDeltaPairs[i + 1]);
      }
    }
    return pipeline.onChanges(deltas);
  }

  static ZSet z(Object... rowWeightPairs) {
    return ZSet.of(rowWeightPairs);
  }

  static Row r(Object... values) {
    return Row.of(values);
  }
}
