package io.deltaview.engine.cdc;

import io.deltaview.engine.cdc.PgOutputMessage.Relation;
import io.deltaview.engine.cdc.PgOutputMessage.Update;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Completes the new row of an update whose unchanged TOASTed columns PostgreSQL did not resend ({@code 'u'}):
 * each such value is taken from the old tuple when pgoutput sent it there, otherwise it is reported as
 * unresolved so the engine can fill it from its own copy of the row. A {@code 'u'} column is never NULL.
 *
 * <p>Works on text-format tuples (what {@link ReplicationSlotReader} requests); a binary column in the new
 * tuple makes {@link TupleData#text(int)} throw.
 */
public final class ToastResolver {

  private ToastResolver() {
  }

  /**
   * The new row's text values with {@code unresolved} listing the column indexes (ascending) whose values
   * are still unknown; at those indexes {@code values} holds {@code null}, which there does not mean SQL NULL.
   */
  public record Resolved(List<String> values, int[] unresolved) {
    public Resolved {
      values = Collections.unmodifiableList(new ArrayList<>(values));
      unresolved = unresolved.clone();
    }

    public boolean complete() {
      return unresolved.length == 0;
    }

    /** A copy; the record stays immutable. */
    @Override
    public int[] unresolved() {
      return unresolved.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Resolved r && values.equals(r.values) && Arrays.equals(unresolved, r.unresolved);
    }

    @Override
    public int hashCode() {
      return values.hashCode() * 31 + Arrays.hashCode(unresolved);
    }

    @Override
    public String toString() {
      return "Resolved[values=" + values.size() + " columns, unresolved=" + Arrays.toString(unresolved) + "]";
    }
  }

  /** Resolves {@code update}'s new tuple against its old tuple; {@code relation} says which columns are keys. */
  public static Resolved resolve(Update update, Relation relation) {
    if (update.relationId() != relation.relationId()) {
      throw new IllegalArgumentException("update of relation " + update.relationId() + " resolved against relation "
          + relation.relationId());
    }
    boolean[] keys = new boolean[relation.columns().size()];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = relation.isKey(i);
    }
    return resolve(update.oldKind(), update.oldTuple(), update.newTuple(), keys);
  }

  /**
   * Resolves {@code newTuple} against {@code oldTuple} (may be {@code null}, then {@code oldKind} is 0).
   *
   * <p>In a {@code 'K'} old tuple only key columns carry values: pgoutput sends the others as {@code 'n'},
   * meaning "not sent", so only key columns are taken from it. A {@code 'O'} old tuple carries the whole row.
   *
   * @param isKey per column, whether it belongs to the replica identity (only consulted for {@code 'K'})
   */
  public static Resolved resolve(char oldKind, TupleData oldTuple, TupleData newTuple, boolean[] isKey) {
    int size = newTuple.size();
    String[] values = new String[size];
    int[] unresolved = new int[size];
    int missing = 0;
    for (int i = 0; i < size; i++) {
      if (!newTuple.isUnchangedToast(i)) {
        values[i] = newTuple.text(i);
      } else if (oldTuple != null && i < oldTuple.size() && oldCarries(oldKind, oldTuple, i, isKey)) {
        values[i] = oldTuple.text(i);
      } else {
        unresolved[missing++] = i;
      }
    }
    return new Resolved(Arrays.asList(values), Arrays.copyOf(unresolved, missing));
  }

  private static boolean oldCarries(char oldKind, TupleData oldTuple, int i, boolean[] isKey) {
    if (oldTuple.isUnchangedToast(i) || oldTuple.kind(i) == TupleData.BINARY) {
      return false;
    }
    return switch (oldKind) {
      case 'O' -> true;
      case 'K' -> i < isKey.length && isKey[i];
      default -> throw new IllegalArgumentException("old tuple kind '" + oldKind + "' with an old tuple");
    };
  }
}
