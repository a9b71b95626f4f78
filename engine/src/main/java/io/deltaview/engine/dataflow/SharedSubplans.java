package io.deltaview.engine.dataflow;

import java.lang.reflect.Array;
import java.lang.reflect.RecordComponent;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Makes equal sub-plans one: after this pass, two parts of a dataflow that compute the same thing are the same
 * node instance, which the runtime steps once per transaction and whose state it keeps once. Decorrelating a
 * subquery repeats the query around it (the distinct values it is correlated on are computed from that query
 * again): TPC-H Q21 holds its four-table join three more times, each with its own state, without this pass.
 *
 * <p>Nodes are compared by their parts, children first (so children already shared compare by identity): arrays
 * and lists element by element, everything else by its own {@code equals} (records such as join equalities and
 * aggregate calls by their components; Calcite's expressions and types by content). Parts that compare unequal
 * though equal in meaning only cost a missed sharing, never a wrong one.
 */
public final class SharedSubplans {

  private SharedSubplans() {
  }

  /** {@code root} with every set of equal sub-plans replaced by one of them. */
  public static Dataflow share(Dataflow root) {
    return intern(root, new HashMap<>());
  }

  private static Dataflow intern(Dataflow node, Map<Key, Dataflow> canonical) {
    Dataflow withSharedInputs = DataflowPasses.mapInputs(node, in -> intern(in, canonical));
    return canonical.computeIfAbsent(new Key(withSharedInputs), k -> withSharedInputs);
  }

  /**
   * How many times each node is an input (the root once), counting the inputs of a node that occurs several
   * times only once: a count above 1 is a node that several operators read.
   */
  public static Map<Dataflow, Integer> uses(Dataflow root) {
    Map<Dataflow, Integer> uses = new IdentityHashMap<>();
    count(root, uses);
    return uses;
  }

  private static void count(Dataflow node, Map<Dataflow, Integer> uses) {
    if (uses.merge(node, 1, Integer::sum) > 1) {
      return;
    }
    for (Dataflow in : node.inputs()) {
      count(in, uses);
    }
  }

  /** A node compared by content, its inputs by identity. */
  private static final class Key {
    private final Dataflow node;
    private final int hash;

    Key(Dataflow node) {
      this.node = node;
      this.hash = hashOfParts((Record) node);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && hash == k.hash && sameParts((Record) node, (Record) k.node);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  private static boolean sameParts(Record a, Record b) {
    if (a.getClass() != b.getClass()) {
      return false;
    }
    for (RecordComponent c : a.getClass().getRecordComponents()) {
      if (!same(part(c, a), part(c, b))) {
        return false;
      }
    }
    return true;
  }

  private static boolean same(Object a, Object b) {
    if (a == b) {
      return true;
    }
    if (a == null || b == null || a instanceof Dataflow || b instanceof Dataflow) {
      return false; // inputs are shared already: equal ones are the same instance
    }
    if (a.getClass().isArray() && b.getClass() == a.getClass()) {
      int n = Array.getLength(a);
      if (n != Array.getLength(b)) {
        return false;
      }
      for (int i = 0; i < n; i++) {
        if (!same(Array.get(a, i), Array.get(b, i))) {
          return false;
        }
      }
      return true;
    }
    if (a instanceof List<?> la && b instanceof List<?> lb) {
      if (la.size() != lb.size()) {
        return false;
      }
      for (int i = 0; i < la.size(); i++) {
        if (!same(la.get(i), lb.get(i))) {
          return false;
        }
      }
      return true;
    }
    return a.equals(b);
  }

  private static int hashOfParts(Record r) {
    int h = r.getClass().hashCode();
    for (RecordComponent c : r.getClass().getRecordComponents()) {
      h = 31 * h + hash(part(c, r));
    }
    return h;
  }

  private static int hash(Object o) {
    if (o == null) {
      return 0;
    }
    if (o instanceof Dataflow) {
      return System.identityHashCode(o);
    }
    if (o.getClass().isArray()) {
      int h = 1;
      for (int i = 0; i < Array.getLength(o); i++) {
        h = 31 * h + hash(Array.get(o, i));
      }
      return h;
    }
    if (o instanceof List<?> l) {
      int h = 1;
      for (Object e : l) {
        h = 31 * h + hash(e);
      }
      return h;
    }
    return o.hashCode();
  }

  private static Object part(RecordComponent c, Record r) {
    try {
      return c.getAccessor().invoke(r);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read " + c.getName() + " of " + r.getClass().getSimpleName(), e);
    }
  }
}
