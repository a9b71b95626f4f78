package io.deltaview.spring.boot.shop;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.hibernate.resource.jdbc.spi.StatementInspector;

/**
 * Records the SQL Hibernate prepares (hibernate.session_factory.statement_inspector), so the test can ask
 * Deltaview about exactly the statement that reached the driver.
 */
public class SqlRecorder implements StatementInspector {

  private static final List<String> RECORDED = new CopyOnWriteArrayList<>();

  @Override
  public String inspect(String sql) {
    RECORDED.add(sql);
    return sql;
  }

  public static void clear() {
    RECORDED.clear();
  }

  /** The statements prepared since {@link #clear()}, oldest first. */
  public static List<String> recorded() {
    return List.copyOf(RECORDED);
  }
}
