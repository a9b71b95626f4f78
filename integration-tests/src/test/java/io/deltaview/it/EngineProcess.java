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

  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    p.setProperty("user", args[1]);
    if (args.length > 2) {
      p.setProperty("password", args[2]);
    }
    try (Connection c = DriverManager.getConnection(args[0], p);
         BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      System.out.println("READY");
      System.out.flush();
      String line;
      while ((line = in.readLine()) != null) {
        if (line.equals("EXIT")) {
          break;
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
