package io.deltaview.benchmarks;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Random;

/**
 * Per-execution latency of one prepared query on several connections, measured interleaved so that drift in
 * machine load hits every side alike: within each round the connections take turns every {@link #BLOCK}
 * executions, in an order drawn anew for each set of turns. Short turns matter on a small VM, where the
 * latency of the same query jumps between levels (30 and 80 µs, say) for stretches of tens of milliseconds:
 * with long turns one side could sit in the slow stretch while the other did not. Uses nothing but
 * {@code java.sql}, so the agent's child JVM can run it too.
 */
public final class Interleaved {

  /** Rounds per measurement; each round's executions give one ratio per pair of connections. */
  static final int ROUNDS = 40;
  /** Executions a connection runs in one turn. */
  static final int BLOCK = 10;

  /** Consumes query results so that the JIT cannot drop the reads being timed. */
  private static volatile long blackhole;

  private Interleaved() {
  }

  /**
   * Nanos per execution of {@code sql} (one int parameter, ids drawn from 1..maxId, two text columns read) on
   * each connection, the same id sequence on all: result[i] belongs to {@code connections[i]}.
   */
  public static long[][] measure(Connection[] connections, String sql, int maxId, int n) throws SQLException {
    int rounds = ROUNDS;
    int perRound = Math.max(1, n / rounds);
    int total = perRound * rounds;
    int[] ids = new Random(7).ints(total, 1, maxId + 1).toArray();
    long[][] times = new long[connections.length][total];
    PreparedStatement[] statements = new PreparedStatement[connections.length];
    try {
      for (int c = 0; c < connections.length; c++) {
        statements[c] = connections[c].prepareStatement(sql);
      }
      long sink = 0;
      for (int w = 0; w < 5_000; w++) {
        for (PreparedStatement ps : statements) {
          sink += execute(ps, ids[w % total]);
        }
      }
      Random order = new Random(11);
      int[] turns = new int[statements.length];
      for (int r = 0; r < rounds; r++) {
        int end = (r + 1) * perRound;
        for (int from = r * perRound; from < end; from += BLOCK) {
          shuffle(turns, order);
          for (int c : turns) {
            for (int i = from; i < Math.min(end, from + BLOCK); i++) {
              long t0 = System.nanoTime();
              sink += execute(statements[c], ids[i]);
              times[c][i] = System.nanoTime() - t0;
            }
          }
        }
      }
      blackhole = sink;
    } finally {
      for (PreparedStatement ps : statements) {
        if (ps != null) {
          ps.close();
        }
      }
    }
    return times;
  }

  /**
   * A random order of the connections for one set of turns: with a fixed rotation, a connection would always
   * follow the same other one, and the second of two connections to one backend would find it warm.
   */
  private static void shuffle(int[] turns, Random random) {
    for (int i = 0; i < turns.length; i++) {
      turns[i] = i;
    }
    for (int i = turns.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = turns[i];
      turns[i] = turns[j];
      turns[j] = t;
    }
  }

  private static int execute(PreparedStatement ps, int id) throws SQLException {
    ps.setInt(1, id);
    int h = 0;
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        h += rs.getString(1).length() + rs.getString(2).length();
      }
    }
    return h;
  }

  /**
   * The median over rounds of (median of {@code side} in the round / median of {@code base} in the round), for
   * times from {@link #measure}: each ratio compares executions made within the same few tens of milliseconds,
   * so load that drifts between rounds (other processes, the JVM's own GC) cancels out instead of adding noise.
   */
  public static double roundRatio(long[][] times, int side, int base) {
    int perRound = times[base].length / ROUNDS;
    long[] ratios = new long[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
      long[] a = Arrays.copyOfRange(times[side], r * perRound, (r + 1) * perRound);
      long[] b = Arrays.copyOfRange(times[base], r * perRound, (r + 1) * perRound);
      ratios[r] = Math.round(median(a) / median(b) * 1e6);
    }
    return median(ratios) / 1e6;
  }

  public static double median(long[] values) {
    return percentile(values, 0.5);
  }

  /** Nearest-rank percentile; sorts a copy. */
  public static double percentile(long[] values, double p) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank))];
  }

  public static double mean(long[] values) {
    return Arrays.stream(values).average().orElse(0);
  }
}
