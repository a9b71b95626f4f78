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
   * started (each reads base tables), views resumed from checkpoints, checkpoints written; {@code STATS none}
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
        + " checkpointFailures=" + c.failures();
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
