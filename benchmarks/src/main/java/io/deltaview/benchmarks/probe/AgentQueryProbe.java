package io.deltaview.benchmarks.probe;

import io.deltaview.benchmarks.Interleaved;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Properties;
import org.postgresql.PGConnection;

/**
 * Runs under the agent: opens a connection the plain pgjdbc way (so the agent wraps it), takes the pgjdbc
 * connection underneath with {@code unwrap(PGConnection.class)} as the baseline, and times the same prepared
 * query on both, interleaved. Args: url user password sql maxId executions. Prints
 * {@code QUERY <plain median ns> <agent median ns> <plain mean> <agent mean> <median per-round ratio>
 * <wrapper class>}.
 */
public final class AgentQueryProbe {

  private AgentQueryProbe() {
  }

  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    p.setProperty("user", args[1]);
    p.setProperty("password", args[2]);
    try (Connection wrapped = DriverManager.getConnection(args[0], p)) {
      Connection raw = (Connection) wrapped.unwrap(PGConnection.class);
      // Deltaview's runtime starts in the background; a command waits for it, so that what is measured is the
      // steady state, not queries passing through while Calcite warms up on the other core.
      try (Statement s = wrapped.createStatement(); ResultSet rs = s.executeQuery("SHOW INCREMENTAL VIEWS")) {
        while (rs.next()) {
          // drained
        }
      }
      if (raw == wrapped) {
        throw new IllegalStateException("the agent did not wrap " + wrapped.getClass().getName());
      }
      long[][] t = Interleaved.measure(new Connection[] {raw, wrapped}, args[3], Integer.parseInt(args[4]),
          Integer.parseInt(args[5]));
      System.out.println("QUERY " + Interleaved.median(t[0]) + " " + Interleaved.median(t[1]) + " "
          + Interleaved.mean(t[0]) + " " + Interleaved.mean(t[1]) + " " + Interleaved.roundRatio(t, 1, 0) + " "
          + wrapped.getClass().getName());
    }
    System.exit(0);
  }
}
