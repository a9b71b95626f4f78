package io.deltaview.it.cdc;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import io.deltaview.engine.cdc.PgOutputMessage;
import io.deltaview.engine.cdc.PgOutputMessage.Commit;
import io.deltaview.engine.cdc.ReplicationEvent;
import io.deltaview.engine.cdc.ReplicationEvent.Change;
import io.deltaview.engine.cdc.ReplicationEvent.Failed;
import io.deltaview.engine.cdc.ReplicationSlotReader;
import io.deltaview.it.fixture.PostgresFixture;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** A fresh database with a publication, plus helpers to wait on a reader's events without sleeping. */
final class CdcDatabase implements AutoCloseable {

  static final Duration TIMEOUT = Duration.ofSeconds(30);

  final String url;
  final Connection sql;

  CdcDatabase(String prefix) throws SQLException {
    url = PostgresFixture.get().createDatabase(prefix);
    sql = PostgresFixture.get().connect(url);
  }

  void exec(String... statements) throws SQLException {
    try (Statement s = sql.createStatement()) {
      for (String statement : statements) {
        s.execute(statement);
      }
    }
  }

  ReplicationSlotReader start(ReplicationSlotReader.Options options) throws SQLException {
    return ReplicationSlotReader.start(url, PostgresFixture.get().credentials(), options);
  }

  /** Polls {@code reader} until an event matches; fails on a {@link Failed} event or after {@link #TIMEOUT}. */
  static ReplicationEvent await(ReplicationSlotReader reader, Predicate<ReplicationEvent> match, List<ReplicationEvent> seen)
      throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      ReplicationEvent e = reader.poll(Duration.ofMillis(200));
      if (e == null) {
        continue;
      }
      if (e instanceof Failed f) {
        throw new AssertionError("reader failed", f.cause());
      }
      seen.add(e);
      if (match.test(e)) {
        return e;
      }
    }
    return fail("no matching event within " + TIMEOUT + "; saw " + seen);
  }

  /** The messages up to and including the {@code commits}-th Commit, skipping idle events. */
  static List<PgOutputMessage> messagesThroughCommits(ReplicationSlotReader reader, int commits)
      throws InterruptedException {
    List<ReplicationEvent> seen = new ArrayList<>();
    int[] count = {0};
    await(reader, e -> e instanceof Change c && c.message() instanceof Commit && ++count[0] == commits, seen);
    return seen.stream().filter(Change.class::isInstance).map(e -> ((Change) e).message()).toList();
  }

  /**
   * The messages (Begin through Commit) of the next transaction that contains a message of type {@code wanted};
   * other transactions, such as the empty ones PostgreSQL 14 sends for DDL, are skipped. Relation messages of
   * skipped transactions are kept (before the Begin): PostgreSQL sends a relation only once per session.
   */
  static List<PgOutputMessage> transactionWith(ReplicationSlotReader reader, Class<? extends PgOutputMessage> wanted)
      throws InterruptedException {
    List<PgOutputMessage> current = new ArrayList<>();
    List<List<PgOutputMessage>> found = new ArrayList<>();
    await(reader, e -> {
      if (!(e instanceof Change c)) {
        return false;
      }
      if (c.message() instanceof PgOutputMessage.Begin) {
        current.removeIf(m -> !(m instanceof PgOutputMessage.Relation));
      }
      current.add(c.message());
      if (c.message() instanceof Commit && current.stream().anyMatch(wanted::isInstance)) {
        found.add(List.copyOf(current));
        return true;
      }
      return false;
    }, new ArrayList<>());
    return found.get(0);
  }

  static Commit lastCommit(List<PgOutputMessage> messages) {
    Commit last = null;
    for (PgOutputMessage m : messages) {
      if (m instanceof Commit c) {
        last = c;
      }
    }
    assertNotNull(last, "no commit in " + messages);
    return last;
  }

  /** Waits for {@code condition}, checking every 50 ms, for at most {@link #TIMEOUT}. */
  static void waitFor(String what, CheckedCondition condition) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!condition.holds()) {
      if (System.nanoTime() > deadline) {
        fail("timed out waiting for " + what);
      }
      Thread.sleep(50); // polling interval of a condition wait, not a synchronisation by itself
    }
  }

  @FunctionalInterface
  interface CheckedCondition {
    boolean holds() throws Exception;
  }

  @Override
  public void close() throws SQLException {
    sql.close();
  }
}
