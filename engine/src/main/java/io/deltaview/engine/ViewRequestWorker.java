package io.deltaview.engine;

import io.deltaview.engine.catalog.BackendViews;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.ddl.Requester;
import io.deltaview.engine.ddl.ViewRegistration;
import io.deltaview.engine.ddl.ViewRequests;
import io.deltaview.sql.SqlStates;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Carries out the view requests of {@link ViewRequests} in the process that maintains, oldest first, one at
 * a time on a thread of its own (a {@code CREATE} lasts as long as its snapshot load), each as its requesting
 * role: {@link Requester#recorded} checks that role's privileges. The outcome goes back into the request's row.
 *
 * <p>A request is marked {@code running} before it is carried out. One still {@code running} when a maintainer
 * starts was begun by a process that died before recording how it ended: it is carried out again, and a
 * {@code CREATE} whose view exists with the same definition and owner then counts as done (a new request for a
 * view that exists fails, as {@code CREATE} does).
 */
final class ViewRequestWorker implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(ViewRequestWorker.class.getName());

  private final Engine engine;
  private final ExecutorService thread;
  /** Whether a drain is queued and has not started reading yet: wakes in between need no second one. */
  private final AtomicBoolean queued = new AtomicBoolean();

  ViewRequestWorker(Engine engine) {
    this.engine = engine;
    this.thread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "deltaview-requests-" + engine.config().database());
      t.setDaemon(true);
      return t;
    });
  }

  /** Some request waits: carry out every pending one soon. */
  void wake() {
    if (queued.compareAndSet(false, true)) {
      try {
        thread.execute(this::drain);
      } catch (java.util.concurrent.RejectedExecutionException closed) {
        queued.set(false);
      }
    }
  }

  private void drain() {
    queued.set(false); // before reading: a request committed from now on wakes another drain
    try (Connection c = Engine.connect(engine.config())) {
      for (ViewRequests.Request r : ViewRequests.pending(c)) {
        if (!engine.leading()) {
          return; // the next maintainer carries out the rest
        }
        ViewRequests.start(c, r.id());
        SQLException failure = carryOut(c, r);
        if (failure != null && !engine.leading()) {
          return; // refused because this process stopped maintaining, not because of the request
        }
        ViewRequests.finish(c, r.id(), failure);
        LOG.log(failure == null ? System.Logger.Level.INFO : System.Logger.Level.WARNING, "Deltaview: "
            + r.kind().name() + " of incremental view " + r.name() + " asked for by role " + r.role() + " "
            + (failure == null ? "done" : "failed: " + failure.getMessage()));
      }
    } catch (SQLException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "Deltaview: carrying out the view requests of database "
          + engine.config().database() + " failed (tried again at the next look): " + e, e);
    }
  }

  private SQLException carryOut(Connection c, ViewRequests.Request r) {
    try {
      ViewRequests.validate(r);
      Requester who = Requester.recorded(c, r.role(), r.searchPath(), r.currentSchema(), r.timeZone());
      switch (r.kind()) {
        case CREATE -> {
          if (!(r.started() && alreadyInPlace(c, who, r))) {
            engine.createView(who, r.schema(), r.name(), r.definition(), r.ifFlag(), "sql", r.engine());
          }
        }
        case DROP -> engine.dropView(who, r.schema(), r.name(), r.ifFlag());
      }
      return null;
    } catch (SQLException e) {
      return e;
    } catch (RuntimeException e) {
      return new SQLException("Deltaview: " + r.kind().name() + " of incremental view " + r.name() + " failed: "
          + e, SqlStates.INTERNAL_ERROR, e);
    }
  }

  /** Whether {@code r}'s view exists already as it asks for it, by its role: a repeated request. */
  private static boolean alreadyInPlace(Connection c, Requester who, ViewRequests.Request r) {
    try {
      String schema = r.schema() != null ? r.schema() : who.currentSchema();
      ViewRecord existing = ViewRegistration.find(c, schema, r.name());
      if (existing == null) {
        BackendViews.BackendView other = BackendViews.find(c, schema, r.name());
        existing = other == null || !other.backend().equals(r.engine()) ? null : other.view();
      }
      return existing != null && r.role().equals(existing.owner())
          && existing.definition().equals(io.deltaview.rewriter.sql.DefinitionSql.canonical(r.definition()));
    } catch (SQLException | RuntimeException e) {
      return false; // createView reports what is wrong
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
