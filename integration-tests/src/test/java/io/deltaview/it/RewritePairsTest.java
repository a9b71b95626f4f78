package io.deltaview.it;

import io.deltaview.it.fixture.ResultBag;

import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.explain;
import static io.deltaview.it.DeltaviewDatabase.hits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.driver.DeltaviewOptions;
import io.deltaview.it.fixture.HrData;
import io.deltaview.it.fixture.RandomData;
import io.deltaview.it.fixture.TpchLikeData;
import io.deltaview.rewriter.sql.QueryShape;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The rewrite suite: (view, query) pairs on a TPC-H-shaped schema and on Calcite's "hr" schema, read from
 * {@code rewrite-pairs.txt}, each recording whether a view serves the query (or, for a known gap, that none does
 * yet). Whatever the expectation, the query's answer through Deltaview must equal PostgreSQL's own, with the
 * same labels and column types (or fail with the same SQLState), after the initial snapshot and again after
 * rounds of random changes.
 */
class RewritePairsTest {

  static final long SEED = Long.getLong("deltaview.seed", 20261203L);
  private static final int ROUNDS = 1;
  private static final int CHANGES_PER_ROUND = 40;

  /** A database's views and queries, in file order. */
  record Section(String database, Map<String, String> views, List<Pair> pairs) {}

  /**
   * One query and what is expected of it: {@code served}, {@code served:VIEW}, {@code served:VIEW,VIEW…},
   * {@code pass} or {@code miss}.
   */
  record Pair(String expect, String query, int line) {

    boolean mustBeServed() {
      return expect.startsWith("served");
    }

    /** The views that must serve it, qualified, as EXPLAIN names them (joined by ", "); null if any may. */
    String view() {
      if (!expect.startsWith("served:")) {
        return null;
      }
      return Stream.of(expect.substring("served:".length()).split(",")).map(v -> "public." + v)
          .collect(Collectors.joining(", "));
    }
  }

  @Test
  void everyPairIsServedAsRecordedAndAnswersExactlyAsPostgres() throws Exception {
    List<Section> sections = read();
    int pairs = sections.stream().mapToInt(s -> s.pairs().size()).sum();
    assertTrue(pairs >= 200, "pairs: " + pairs);
    List<String> failures = new ArrayList<>();
    Map<String, Integer> tally = new LinkedHashMap<>();
    for (Section section : sections) {
      DeltaviewDatabase db = new DeltaviewDatabase("pairs_" + section.database());
      RandomData data = data(section.database());
      try (Connection plain = db.plain()) {
        data.createSchema(plain);
        data.load(plain);
        exec(plain, "ANALYZE");
      }
      try (Connection dv = db.deltaview()) {
        for (Map.Entry<String, String> v : section.views().entrySet()) {
          exec(dv, "CREATE INCREMENTAL VIEW " + v.getKey() + " AS " + v.getValue());
        }
      }
      check(db, section, "after the initial snapshot", failures, tally);
      try (Connection writer = db.plain()) {
        for (int round = 1; round <= ROUNDS; round++) {
          for (int i = 0; i < CHANGES_PER_ROUND; i++) {
            data.randomChange(writer);
          }
          check(db, section, "after change round " + round + " (seed " + SEED + ")", failures, tally);
        }
      }
      try (Connection dv = db.deltaview()) {
        for (String view : section.views().keySet()) {
          exec(dv, "DROP INCREMENTAL VIEW " + view);
        }
      }
    }
    System.out.println("rewrite pairs: " + pairs + ", outcomes per check: " + tally);
    assertEquals(List.of(), failures, failures.size() + " failures");
  }

  private static RandomData data(String database) {
    return switch (database) {
      case "tpch" -> new TpchLikeData(SEED);
      case "hr" -> new HrData(SEED);
      default -> throw new IllegalArgumentException("no data for database " + database);
    };
  }

  private static void check(DeltaviewDatabase db, Section section, String when, List<String> failures,
      Map<String, Integer> tally) throws Exception {
    for (Map.Entry<String, String> v : section.views().entrySet()) {
      DeltaviewDatabase.await("result table " + v.getKey() + " to equal its query " + when, Duration.ofSeconds(60),
          () -> {
            try (Connection c = db.plain()) {
              return ResultBag.query(c, "SELECT * FROM " + v.getKey()).difference(ResultBag.query(c, v.getValue()), false);
            }
          });
    }
    try (Connection plain = db.plain();
         Connection dv = db.deltaview(DeltaviewOptions.AUTO_CREATE, "false", DeltaviewOptions.CONSISTENCY, "strong",
             DeltaviewOptions.STRONG_TIMEOUT_MS, "30000")) {
      for (Pair pair : section.pairs()) {
        String where = "line " + pair.line() + " (" + when + "): " + pair.query();
        List<String> plan = answerAsPostgres(plain, dv, pair.query(), where, failures, tally, "");
        if (plan != null) {
          boolean rewritten = "t".equals(plan.get(0));
          if (pair.mustBeServed() && !rewritten) {
            failures.add("not served (" + plan.get(3) + "), " + where);
          } else if (!pair.mustBeServed() && rewritten) {
            failures.add((pair.expect().equals("miss") ? "now served (mark it served), by " : "served by ")
                + plan.get(1) + " → " + plan.get(2) + ", " + where);
          } else if (pair.view() != null && !pair.view().equals(plan.get(1))) {
            failures.add("served by " + plan.get(1) + " instead of " + pair.view() + ", " + where);
          }
        }
        // The same query with other literal values: a text the rewriter has not seen, of a shape it has, which
        // it may decide from the shape's decision; whatever it decides, the answer must still be PostgreSQL's.
        String variant = otherLiterals(pair.query());
        if (variant != null) {
          answerAsPostgres(plain, dv, variant, "other literals of " + where + ": " + variant, failures, tally,
              "other literals ");
        }
      }
    }
  }

  /**
   * Runs {@code query} on PostgreSQL and through Deltaview and records in {@code failures} any difference
   * (rows, labels, types, or SQLState when PostgreSQL refuses it). Returns Deltaview's EXPLAIN of it (served,
   * view, rewrite, reason), or null when PostgreSQL refuses the query.
   */
  private static List<String> answerAsPostgres(Connection plain, Connection dv, String query, String where,
      List<String> failures, Map<String, Integer> tally, String tallyPrefix) throws SQLException {
    ResultBag direct;
    try {
      direct = ResultBag.query(plain, query);
    } catch (SQLException e) {
      // PostgreSQL refuses it: Deltaview must refuse it the same way, served or not.
      try {
        ResultBag.query(dv, query);
        failures.add("PostgreSQL fails with " + e.getSQLState() + " but Deltaview answered, " + where);
      } catch (SQLException d) {
        if (!Objects.equals(e.getSQLState(), d.getSQLState())) {
          failures.add("PostgreSQL fails with " + e.getSQLState() + ", Deltaview with " + d.getSQLState() + " ("
              + d.getMessage() + "), " + where);
        }
      }
      tally.merge(tallyPrefix + "refused by PostgreSQL", 1, Integer::sum);
      return null;
    }
    List<String> plan = explain(dv, query);
    boolean rewritten = "t".equals(plan.get(0));
    tally.merge(tallyPrefix + (rewritten ? "served" : "passed through"), 1, Integer::sum);
    // EXPLAIN names the views a rewrite reads, several joined by ", "
    List<String> views = rewritten ? List.of(plan.get(1).split(", ")) : List.of();
    Map<String, Long> before = new HashMap<>();
    for (String view : views) {
      before.put(view, hits(dv, view));
    }
    ResultBag served = ResultBag.query(dv, query);
    for (String view : views) {
      if (hits(dv, view) <= before.get(view)) {
        failures.add("EXPLAIN says served by " + plan.get(1) + " but executing did not read " + view + ", " + where);
      }
    }
    String difference = served.difference(direct, true);
    if (difference != null) {
      failures.add("WRONG ANSWER " + difference + ", " + where + (rewritten ? " → " + plan.get(2) : ""));
    }
    return plan;
  }

  /**
   * {@code sql} with every literal that {@link QueryShape} lifts given another value of its type (an integer
   * one more, a decimal's last digit another, a string in the other case), or null when it has none.
   */
  static String otherLiterals(String sql) {
    QueryShape shape = QueryShape.of(sql, Set.of());
    if (shape == null) {
      return null;
    }
    StringBuilder out = new StringBuilder();
    int copied = 0;
    for (QueryShape.Literal l : shape.literals()) {
      out.append(sql, copied, l.start()).append(other(l.rendered()));
      copied = l.end();
    }
    return out.append(sql, copied, sql.length()).toString();
  }

  private static String other(String literal) {
    if (literal.startsWith("'")) {
      String swapped = literal.toLowerCase(Locale.ROOT);
      return swapped.equals(literal) ? literal.toUpperCase(Locale.ROOT) : swapped;
    }
    if (literal.indexOf('.') < 0) {
      return String.valueOf(Long.parseLong(literal) + 1 > Integer.MAX_VALUE ? 0 : Long.parseLong(literal) + 1);
    }
    char last = literal.charAt(literal.length() - 1);
    return literal.substring(0, literal.length() - 1) + (char) (last == '9' ? '1' : last + 1);
  }

  /** Reads the pairs file into its sections. */
  static List<Section> read() throws IOException {
    List<Section> sections = new ArrayList<>();
    Section current = null;
    try (InputStream in = RewritePairsTest.class.getResourceAsStream("/rewrite-pairs.txt");
         BufferedReader r = new BufferedReader(new InputStreamReader(Objects.requireNonNull(in,
             "rewrite-pairs.txt"), StandardCharsets.UTF_8))) {
      int lineNo = 0;
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        lineNo++;
        String text = line.strip();
        if (text.isEmpty() || text.startsWith("#")) {
          continue;
        }
        int space = text.indexOf(' ');
        String keyword = space < 0 ? text : text.substring(0, space);
        String rest = space < 0 ? "" : text.substring(space + 1).strip();
        if (keyword.equals("database")) {
          current = new Section(rest, new LinkedHashMap<>(), new ArrayList<>());
          sections.add(current);
          continue;
        }
        if (current == null) {
          throw new IllegalStateException("line " + lineNo + ": no database yet");
        }
        if (keyword.equals("view")) {
          int colon = rest.indexOf(':');
          current.views().put(rest.substring(0, colon).strip(), rest.substring(colon + 1).strip());
        } else if (keyword.equals("served") || keyword.startsWith("served:") || keyword.equals("pass")
            || keyword.equals("miss")) {
          current.pairs().add(new Pair(keyword, rest, lineNo));
        } else {
          throw new IllegalStateException("line " + lineNo + ": unknown keyword " + keyword);
        }
      }
    }
    return sections;
  }
}
