package io.deltaview.it.app;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * A small application as a team would write it: HikariCP configured with a plain {@code jdbc:postgresql:}
 * URL, jOOQ on top, no Deltaview in its code except one {@code @Incremental}. Tests start it in a child JVM
 * with the Deltaview agent and drive it line by line over stdin; every answer ends with {@code END}.
 *
 * <p>Commands: {@code migrate} (registers the report's view), {@code report [region]},
 * {@code report-unmarked [region]}, {@code customers region} (rows as CSV), {@code views} (SHOW INCREMENTAL VIEWS, as CSV),
 * {@code quit}. Arguments: jdbcUrl user password.
 */
public final class ShopApp {

  public static void main(String[] args) throws Exception {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(args[0]);
    config.setUsername(args[1]);
    config.setPassword(args[2]);
    config.setMaximumPoolSize(3);
    config.setAutoCommit(false); // as Spring and Hibernate applications run: every read inside a transaction
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    try (HikariDataSource pool = new HikariDataSource(config)) {
      ShopReports reports = new ShopReports(DSL.using(pool, SQLDialect.POSTGRES));
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      out.println("READY");
      for (String line; (line = in.readLine()) != null; ) {
        String[] cmd = line.trim().split(" ", 2);
        String arg = cmd.length > 1 ? cmd[1] : null;
        try {
          switch (cmd[0]) {
            case "migrate" -> {
              try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
                s.execute(ShopReports.VIEW_SQL);
                c.commit();
              }
            }
            case "report" -> out.print(reports.revenueByRegionMonth(arg).formatCSV());
            case "report-unmarked" -> out.print(reports.revenueByRegionMonthUnmarked(arg).formatCSV());
            case "customers" -> out.print(reports.customerTotals(arg).formatCSV());
            case "views" -> {
              try (Connection c = pool.getConnection(); Statement s = c.createStatement();
                   ResultSet rs = s.executeQuery("SHOW INCREMENTAL VIEWS")) {
                while (rs.next()) {
                  out.println(rs.getString("name") + "," + rs.getString("status") + "," + rs.getString("hits")
                      + "," + rs.getString("origin"));
                }
                c.commit();
              }
            }
            case "quit" -> {
              out.println("END");
              return;
            }
            default -> out.println("ERROR unknown command " + line);
          }
        } catch (Exception e) {
          out.println("ERROR " + e);
        }
        out.println("END");
      }
    }
  }
}
