package io.deltaview.engine.operator;

import java.util.function.Consumer;

/**
 * A map from primitive {@code long} to non-null objects, in two parallel open-addressing arrays (linear
 * probing, backward-shift deletion, load factor at most 1/2). Join state on integer keys is the engine's
 * largest structure and its hottest lookup: a {@code HashMap<Long, ?>} costs a node and a boxed key per entry
 * and three dependent memory loads per probe (slot, node, key), this one a key and a value slot.
 */
final class LongObjectMap<V> {

  private static final int MIN_CAPACITY = 16;

  private long[] keys = new long[MIN_CAPACITY];
  private Object[] values = new Object[MIN_CAPACITY];
  private int size;

  int size() {
    return size;
  }

  @SuppressWarnings("unchecked")
  V get(long key) {
    int mask = keys.length - 1;
    for (int i = slot(key, mask); values[i] != null; i = (i + 1) & mask) {
      if (keys[i] == key) {
        return (V) values[i];
      }
    }
    return null;
  }

  /** Maps {@code key} to {@code value} (not null), replacing any earlier value. */
  void put(long key, V value) {
    if (value == null) {
      throw new NullPointerException("value");
    }
    int mask = keys.length - 1;
    int i = slot(key, mask);
    for (; values[i] != null; i = (i + 1) & mask) {
      if (keys[i] == key) {
        values[i] = value;
        return;
      }
    }
    keys[i] = key;
    values[i] = value;
    if (++size * 2 > keys.length) {
      resize(keys.length * 2);
    }
  }

  void remove(long key) {
    int mask = keys.length - 1;
    for (int i = slot(key, mask); values[i] != null; i = (i + 1) & mask) {
      if (keys[i] == key) {
        removeAt(i);
        return;
      }
    }
  }

  /** What {@link #forEach} gives each entry. */
  @FunctionalInterface
  interface EntryConsumer<V> {
    void accept(long key, V value);
  }

  @SuppressWarnings("unchecked")
  void forEach(EntryConsumer<? super V> action) {
    for (int i = 0; i < values.length; i++) {
      if (values[i] != null) {
        action.accept(keys[i], (V) values[i]);
      }
    }
  }

  @SuppressWarnings("unchecked")
  void forEachValue(Consumer<? super V> action) {
    for (Object v : values) {
      if (v != null) {
        action.accept((V) v);
      }
    }
  }

  private static int slot(long key, int mask) {
    // Keys are often dense integers: a multiplicative hash spreads runs of them over the whole table.
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h >>> 32) & mask;
  }

  /** Empties slot {@code hole}, shifting later members of its probe run back so lookups still find them. */
  private void removeAt(int hole) {
    int mask = keys.length - 1;
    int i = hole;
    while (true) {
      i = (i + 1) & mask;
      if (values[i] == null) {
        break;
      }
      int home = slot(keys[i], mask);
      // the entry at i may move into the hole iff its home slot is not cyclically within (hole, i]
      if (((i - home) & mask) >= ((i - hole) & mask)) {
        keys[hole] = keys[i];
        values[hole] = values[i];
        hole = i;
      }
    }
    values[hole] = null;
    size--;
    if (keys.length > MIN_CAPACITY && size * 8 < keys.length) {
      resize(keys.length / 2);
    }
  }

  private void resize(int capacity) {
    long[] oldKeys = keys;
    Object[] oldValues = values;
    keys = new long[capacity];
    values = new Object[capacity];
    int mask = capacity - 1;
    for (int j = 0; j < oldKeys.length; j++) {
      if (oldValues[j] != null) {
        int i = slot(oldKeys[j], mask);
        while (values[i] != null) {
          i = (i + 1) & mask;
        }
        keys[i] = oldKeys[j];
        values[i] = oldValues[j];
      }
    }
  }
}
