package io.deltaview.it.security;

import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.rows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.DeltaviewDatabase;
import io.deltaview.it.EngineChild;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a role stores with a view (its search_path) is a value when the view is created and again when another
 * engine process compiles it after a restart; and while no process maintains, the maintainer lock is free
 * but still only the engine's role can take it.
 */
class StoredSettingsRestartTest {

  @Test
  void aHostileSearchPathStaysAValueAcrossARestartAndOnlyTheEngineRoleTakesTheFreeLock() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("storedsettings");
    try (Roles roles = new Roles(db)) {
      String app = roles.create("app", "");
      try (Connection c = db.plain()) {
        exec(c, "CREATE TABLE orders (id int PRIMARY KEY, customer int NOT NULL)");
        exec(c, "INSERT INTO orders SELECT g, g % 5 FROM generate_series(1, 50) g");
        exec(c, "CREATE SCHEMA " + app + " AUTHORIZATION " + app);
        exec(c, "GRANT SELECT ON orders TO " + app);
      }
      String path = app + ",public;commit;create/**/table/**/public.pwned_path();--";
      try (Connection engine = db.deltaview(); Connection c = roles.deltaview(app)) {
        rows(engine, "SHOW INCREMENTAL VIEWS"); // this JVM's engine, as the fixture's superuser
        try (PreparedStatement ps = c.prepareStatement("SELECT set_config('search_path', ?, false)")) {
          ps.setString(1, path);
          ps.execute();
        }
        exec(c, "CREATE INCREMENTAL VIEW " + app + ".by_path AS SELECT customer, count(*) AS n FROM public.orders"
            + " GROUP BY customer");
      }
      EngineRegistry.stop(db.pgUrl);
      try (Connection c = roles.plain(app)) {
        c.setAutoCommit(false);
        SQLException e = assertThrows(SQLException.class,
            () -> exec(c, "LOCK TABLE deltaview.maintainer IN EXCLUSIVE MODE NOWAIT"));
        assertEquals("42501", e.getSQLState(), e.getMessage());
        c.rollback();
      }
      try (EngineChild second = new EngineChild(db); Connection plain = db.plain()) {
        DeltaviewDatabase.await("by_path ready in the second engine", Duration.ofSeconds(60), () -> {
          List<List<String>> status = rows(plain,
              "SELECT status || ':' || coalesce(last_error, '') FROM deltaview.views");
          return status.equals(List.of(List.of("ready:"))) ? null : status.toString();
        });
        exec(plain, "INSERT INTO orders VALUES (51, 1)");
        DeltaviewDatabase.await("by_path maintained by the second engine", Duration.ofSeconds(60),
            () -> DeltaviewDatabase.difference(plain, app + ".by_path",
                "SELECT customer, count(*) AS n FROM orders GROUP BY customer"));
        assertNull(rows(plain, "SELECT to_regclass('public.pwned_path')").get(0).get(0));
        second.execute("DROP INCREMENTAL VIEW " + app + ".by_path");
      }
    }
  }
}
