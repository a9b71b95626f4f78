package io.deltaview.it.driver;

import static io.deltaview.it.DeltaviewDatabase.await;
import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.rows;
import static io.deltaview.it.DeltaviewDatabase.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.DeltaviewDatabase;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import liquibase.Contexts;
import liquibase.LabelExpression;
import liquibase.Liquibase;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.resource.ClassLoaderResourceAccessor;
import org.junit.jupiter.api.Test;

/**
 * Incremental views managed by real Liquibase migrations, on plain {@code jdbc:postgresql:} connections as
 * Liquibase opens them: a changeset's {@code deltaview.create_view} takes effect when the changeset commits, a
 * changeset that fails after asking for a view leaves neither view nor request, and a later changeset drops
 * the view. This JVM's engine maintains (the first Deltaview connection starts it).
 */
class LiquibaseMigrationTest {

  private static final String BALANCES =
      "SELECT account, count(*) AS entries, sum(amount) AS balance FROM lb_ledger GROUP BY account";

  @Test
  void aMigrationCreatesMaintainsAndDropsAViewAndAFailedChangesetLeavesNothing() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("liquibase");
    try (Connection maintainer = db.deltaview(); Connection psql = db.plain()) {
      rows(maintainer, "SHOW INCREMENTAL VIEWS"); // the engine runs, with no view yet
      migrate(db, "liquibase/base.xml");
      await("the migration's view to be ready", Duration.ofSeconds(60), () -> {
        List<List<String>> status = rows(psql, "SELECT status FROM deltaview.views WHERE view_name = 'lb_balances'");
        return status.equals(List.of(List.of("ready"))) ? null : "status " + status;
      });
      assertEquals(null, DeltaviewDatabase.difference(psql, "lb_balances", BALANCES));
      exec(psql, "UPDATE lb_ledger SET amount = amount + 3 WHERE id % 5 = 0");
      exec(psql, "DELETE FROM lb_ledger WHERE id % 11 = 0");
      await("the view to follow the ledger", Duration.ofSeconds(30),
          () -> DeltaviewDatabase.difference(psql, "lb_balances", BALANCES));

      Exception failed = assertThrows(Exception.class, () -> migrate(db, "liquibase/failing.xml"));
      assertTrue(String.valueOf(failed.getMessage()).contains("lb_no_such_table"), String.valueOf(failed));
      assertEquals(0, scalarLong(psql, "SELECT count(*) FROM deltaview.view_requests WHERE view_name = 'lb_never'"),
          "the failed changeset's request was rolled back with it");
      assertEquals(0, scalarLong(psql, "SELECT count(*) FROM pg_class WHERE relname = 'lb_never'"));
      assertEquals(0, scalarLong(psql, "SELECT count(*) FROM deltaview.views WHERE view_name = 'lb_never'"));

      migrate(db, "liquibase/dropping.xml");
      await("the view to be dropped by the later migration", Duration.ofSeconds(60), () -> {
        long open = scalarLong(psql, "SELECT count(*) FROM deltaview.view_requests WHERE view_name = 'lb_balances'"
            + " AND state IN ('pending', 'running')");
        return open == 0 ? null : open + " requests still open";
      });
      assertEquals(0, scalarLong(psql, "SELECT count(*) FROM deltaview.views WHERE view_name = 'lb_balances'"));
      assertEquals(0, scalarLong(psql, "SELECT count(*) FROM pg_class WHERE relname = 'lb_balances'"));
      assertEquals(List.of(List.of("done")), rows(psql, "SELECT DISTINCT state FROM deltaview.view_requests"
          + " WHERE view_name = 'lb_balances'"));
    } finally {
      EngineRegistry.stop(db.pgUrl);
    }
  }

  /** Runs Liquibase's update with {@code changelog} on a plain connection of its own, as a deployment would. */
  private static void migrate(DeltaviewDatabase db, String changelog) throws Exception {
    Connection c = db.plain();
    Database database = DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(c));
    try (Liquibase liquibase = new Liquibase(changelog, new ClassLoaderResourceAccessor(), database)) {
      liquibase.update(new Contexts(), new LabelExpression());
    }
  }
}
