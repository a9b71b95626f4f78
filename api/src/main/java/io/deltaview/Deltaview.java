package io.deltaview;

/**
 * Opt-in scopes: queries executed on the current thread while a scope is open are marked for Deltaview,
 * exactly as if they carried the <code>/*+ incremental *&#47;</code> hint. Scopes nest; the innermost one's
 * consistency applies. A scope belongs to the thread that opened it and never leaks to other threads.
 *
 * <pre>{@code
 * try (Deltaview.Scope scope = Deltaview.optIn()) {
 *   revenue = jdbc.query("SELECT region, sum(amount) FROM ...");
 * }
 * }</pre>
 */
public final class Deltaview {

  /** The innermost open scope of each thread; null outside any scope. */
  private static final ThreadLocal<Scope> CURRENT = new ThreadLocal<>();

  private Deltaview() {
  }

  /** Opens a scope that marks this thread's queries, with the connection's consistency. */
  public static Scope optIn() {
    return optIn(Consistency.DEFAULT);
  }

  /** Opens a scope that marks this thread's queries, with {@code consistency} for them. */
  public static Scope optIn(Consistency consistency) {
    if (consistency == null) {
      throw new NullPointerException("consistency");
    }
    Scope scope = new Scope(consistency, CURRENT.get(), Thread.currentThread());
    CURRENT.set(scope);
    return scope;
  }

  /**
   * The consistency of this thread's innermost open scope, or null when no scope is open (the query is not
   * marked by a scope). For Deltaview's driver; cheap enough to ask on every query.
   */
  public static Consistency currentOptIn() {
    Scope scope = CURRENT.get();
    return scope == null ? null : scope.consistency;
  }

  /**
   * An open opt-in scope. Closing it (once; later closes do nothing) ends it and every scope opened inside
   * it that was left open, so a missed close cannot leave the thread marked after its enclosing scope ends.
   */
  public static final class Scope implements AutoCloseable {
    private final Consistency consistency;
    private final Scope outer;
    private final Thread owner;
    private boolean closed;

    private Scope(Consistency consistency, Scope outer, Thread owner) {
      this.consistency = consistency;
      this.outer = outer;
      this.owner = owner;
    }

    public Consistency consistency() {
      return consistency;
    }

    /**
     * Ends this scope on its own thread. Called from another thread it does nothing to that thread, and
     * throws, since the owner's scope would otherwise stay open unnoticed.
     */
    @Override
    public void close() {
      if (Thread.currentThread() != owner) {
        throw new IllegalStateException("A Deltaview opt-in scope must be closed by the thread that opened it ("
            + owner.getName() + ")");
      }
      if (closed) {
        return;
      }
      closed = true;
      // Pop to this scope's outer one if this scope is still on the thread's stack; if an outer scope was
      // closed first, this one is already gone.
      for (Scope s = CURRENT.get(); s != null; s = s.outer) {
        if (s == this) {
          if (outer == null) {
            CURRENT.remove();
          } else {
            CURRENT.set(outer);
          }
          return;
        }
      }
    }
  }
}
