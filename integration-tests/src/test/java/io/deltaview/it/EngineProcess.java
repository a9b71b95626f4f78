package io.deltaview.it;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Properties;

/**
 * A separate JVM running an embedded engine, so tests can kill it for real ({@code SIGKILL}, no shutdown hooks).
 * Reads SQL lines from stdin, runs each through a Deltaview connection, answers {@code OK} or {@code ERR ...}.
 */
public final class EngineProcess {

  private EngineProcess() {
  }

  /**
   * {@code STATS} and what this JVM's engine did since it started, as {@code key=value} words: snapshot loads
   * started (each reads base tables), views resumed from checkpoints, checkpoints written, join states moved to
   * disk (and their estimated heap bytes then), the maximum heap; {@code STATS none}
   * while this JVM maintains nothing.
   */
  static String stats(String deltaviewUrl) {
    io.deltaview.engine.Engine engine = io.deltaview.engine.EngineRegistry.existing(
        "jdbc:" + deltaviewUrl.substring("jdbc:deltaview:".length()));
    if (engine == null) {
      return "STATS none";
    }
    io.deltaview.engine.state.Checkpointer.Stats c = engine.checkpointStats();
    return "STATS snapshotReads=" + engine.snapshotReads() + " checkpointResumes=" + engine.checkpointResumes()
        + " checkpointsWritten=" + c.written() + " checkpointBytes=" + c.bytesWritten() + " lastCheckpointBytes="
        + c.lastBytes() + " maxSerializeMicros=" + c.maxSerializeMicros() + " lastWriteMicros=" + c.lastWriteMicros()
        + " checkpointFailures=" + c.failures() + " spilledArrangements="
        + io.deltaview.engine.spill.StateMemory.global().spilledArrangements() + " spilledBytes="
        + io.deltaview.engine.spill.StateMemory.global().spilledBytes() + " heapMax=" + Runtime.getRuntime().maxMemory();
  }

  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    p.setProperty("user", args[1]);
    if (args.length > 2) {
      p.setProperty("password", args[2]);
    }
    try (Connection c = DriverManager.getConnection(args[0], p);
         BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      // The runtime starts in the background; SHOW waits for it, so READY means this JVM has taken the engine
      // lock if it was free (else the parent's own connections could win the race for it).
      try (Statement s = c.createStatement()) {
        s.execute("SHOW INCREMENTAL VIEWS");
      }
      System.out.println("READY");
      System.out.flush();
      String line;
      while ((line = in.readLine()) != null) {
        if (line.equals("EXIT")) {
          break;
        }
        if (line.startsWith("ROWS ")) {
          // A query's rows, one "ROW a|b|c" line each (NULL as \N), then OK or ERR.
          try (Statement s = c.createStatement(); java.sql.ResultSet rs = s.executeQuery(line.substring(5))) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
              StringBuilder row = new StringBuilder("ROW ");
              for (int i = 1; i <= n; i++) {
                String v = rs.getString(i);
                row.append(i > 1 ? "|" : "").append(v == null ? "\\N" : v.replace('\n', ' ').replace('|', '/'));
              }
              System.out.println(row);
            }
            System.out.println("OK");
          } catch (Exception e) {
            System.out.println("ERR " + String.valueOf(e.getMessage()).replace('\n', ' '));
          }
          System.out.flush();
          continue;
        }
        if (line.equals("STATS")) {
          System.out.println(stats(args[0]));
          System.out.flush();
          continue;
        }
        try (Statement s = c.createStatement()) {
          s.execute(line);
          System.out.println("OK");
        } catch (Exception e) {
          System.out.println("ERR " + e.getMessage().replace('\n', ' '));
        }
        System.out.flush();
      }
    }
  }
}
