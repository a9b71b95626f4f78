package io.deltaview.benchmarks.probe;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Properties;

/**
 * Opens an application's first connection (url user password) and runs {@code SELECT 1}; prints
 * {@code FIRST <ms> <connection class>}. Under the agent this includes loading Deltaview's core and starting
 * the database's engine.
 */
public final class FirstConnectionProbe {

  private FirstConnectionProbe() {
  }

  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    p.setProperty("user", args[1]);
    p.setProperty("password", args[2]);
    long t0 = System.nanoTime();
    try (Connection c = DriverManager.getConnection(args[0], p);
         Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT 1")) {
      rs.next();
      System.out.println("FIRST " + (System.nanoTime() - t0) / 1_000_000.0 + " " + c.getClass().getName());
    }
    System.exit(0); // the embedded engine's threads would otherwise keep a JVM with the agent alive
  }
}
