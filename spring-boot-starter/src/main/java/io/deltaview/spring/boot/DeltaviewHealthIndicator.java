package io.deltaview.spring.boot;

import io.deltaview.driver.jdbc.DeltaviewWrapper;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;

/**
 * The health of the application's incremental views, from {@code SHOW INCREMENTAL VIEWS} on a connection of the
 * application's DataSource (so it lists the views the application's role may read): {@code UP} when every view is
 * {@code ready}, {@code OUT_OF_SERVICE} while one is {@code snapshotting} or {@code rebuilding} (its queries go to
 * the base tables meanwhile), {@code DOWN} when one has {@code failed}, or when Deltaview cannot be asked. Details:
 * per view, its {@code status}, {@code staleness_ms} and {@code last_error}.
 */
final class DeltaviewHealthIndicator extends AbstractHealthIndicator {

  static final String SHOW = "SHOW INCREMENTAL VIEWS";

  private final DataSource dataSource;

  DeltaviewHealthIndicator(DataSource dataSource) {
    super("Deltaview health check failed");
    this.dataSource = dataSource;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      if (!c.isWrapperFor(DeltaviewWrapper.class)) {
        builder.unknown().withDetail("reason", "the DataSource's connections do not go through Deltaview");
        return;
      }
      Map<String, Map<String, Object>> views = new LinkedHashMap<>();
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(SHOW)) {
        while (rs.next()) {
          Map<String, Object> view = new LinkedHashMap<>();
          view.put("status", rs.getString("status"));
          long staleness = rs.getLong("staleness_ms");
          view.put("staleness_ms", rs.wasNull() ? null : staleness);
          view.put("last_error", rs.getString("last_error"));
          views.put(rs.getString("name"), view);
        }
      }
      builder.status(status(views.values().stream().map(v -> (String) v.get("status")).toList()))
          .withDetail("views", views);
    }
  }

  /**
   * {@code DOWN} if a view failed, else {@code OUT_OF_SERVICE} if one is not ready (loading, or a status this
   * version does not know), else {@code UP} (no views at all included).
   */
  static Status status(List<String> viewStatuses) {
    Status status = Status.UP;
    for (String s : viewStatuses) {
      if ("failed".equals(s)) {
        return Status.DOWN;
      }
      if (!"ready".equals(s)) {
        status = Status.OUT_OF_SERVICE;
      }
    }
    return status;
  }
}
