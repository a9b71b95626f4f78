package io.deltaview.rewriter;

/**
 * A small, lossy memory of the texts seen lately, by hash: says whether a text was (probably) seen before. The
 * rewriter keeps a text served from its shape's decision in the first-level cache only from its second sighting
 * on: putting every such text there (a Caffeine write, and an eviction once the cache is full) cost about as much
 * as serving the text from its shape, and a stream of texts that differ in a literal would fill the first level
 * with texts never asked for again.
 *
 * <p>Both kinds of error are harmless: a hash collision (or a slot another text overwrote) only puts a text in the
 * first level a sighting early or late. Threads share the slots without locking: an {@code int} is written
 * whole, and a lost update is one more such error.
 */
final class SeenTexts {
  private static final int SLOTS = 4096; // a power of two

  private final int[] hashes = new int[SLOTS];

  /** Whether {@code text} was seen before, and remembers it. */
  boolean seenBefore(String text) {
    int h = text.hashCode(); // computed once per String and cached in it; the first level's lookup did
    int slot = (h ^ (h >>> 16)) & (SLOTS - 1);
    if (hashes[slot] == h) {
      return true;
    }
    hashes[slot] = h;
    return false;
  }
}
