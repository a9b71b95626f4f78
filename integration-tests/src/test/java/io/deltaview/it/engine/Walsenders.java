package io.deltaview.it.engine;

import io.deltaview.it.DeltaviewDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/** The walsender that streams a database's permanent Deltaview slot, found and terminated by tests. */
final class Walsenders {

  private Walsenders() {
  }

  /** The walsender streaming this database's permanent Deltaview slot, or null while none is attached. */
  static Integer pid(Connection admin) throws SQLException {
    try (Statement s = admin.createStatement(); ResultSet rs = s.executeQuery("SELECT active_pid"
        + " FROM pg_replication_slots WHERE database = current_database() AND NOT temporary"
        + " AND slot_name LIKE 'deltaview%' AND active_pid IS NOT NULL")) {
      return rs.next() ? rs.getInt(1) : null;
    }
  }

  /** Waits for the engine's walsender and terminates it; returns its pid. */
  static int terminate(Connection admin) throws Exception {
    AtomicReference<Integer> pid = new AtomicReference<>();
    DeltaviewDatabase.await("the engine's walsender", Duration.ofSeconds(60), () -> {
      pid.set(pid(admin));
      return pid.get() != null ? null : "no active walsender";
    });
    try (PreparedStatement ps = admin.prepareStatement("SELECT pg_terminate_backend(?)")) {
      ps.setInt(1, pid.get());
      ps.execute();
    }
    return pid.get();
  }
}
