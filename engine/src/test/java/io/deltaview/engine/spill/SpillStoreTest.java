package io.deltaview.engine.spill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpillStoreTest {

  @TempDir
  Path parent;

  private static byte[] key(int prefix, int k) {
    return new byte[] {0, 0, 0, 0, 0, 0, 0, (byte) prefix, (byte) k};
  }

  @Test
  void keysOfOnePrefixAreReadIteratedAndDeletedWithoutTouchingAnother() {
    try (SpillStore store = SpillStore.open(parent, 8 << 20)) {
      for (int k = 0; k < 10; k++) {
        store.put(key(1, k), new byte[] {(byte) k});
        store.put(key(2, k), new byte[] {(byte) (100 + k)});
      }
      store.delete(key(1, 3));
      assertNull(store.get(key(1, 3)));
      assertArrayEquals(new byte[] {104}, store.get(key(2, 4)));
      List<Integer> seen = new ArrayList<>();
      store.forEach(new byte[] {0, 0, 0, 0, 0, 0, 0, 1}, (k, v) -> seen.add((int) v[0]));
      assertEquals(List.of(0, 1, 2, 4, 5, 6, 7, 8, 9), seen);
      store.deletePrefix(new byte[] {0, 0, 0, 0, 0, 0, 0, 1});
      assertNull(store.get(key(1, 5)));
      assertArrayEquals(new byte[] {109}, store.get(key(2, 9)), "another prefix is untouched");
    }
  }

  @Test
  void aClosedStoreRefusesUseInsteadOfCrashingAndLeavesNoFiles() throws Exception {
    SpillStore store = SpillStore.open(parent, 8 << 20);
    store.put(key(1, 1), new byte[] {1});
    store.close();
    assertThrows(SpillException.class, () -> store.get(key(1, 1)));
    assertThrows(SpillException.class, () -> store.deletePrefix(new byte[8]));
    try (var files = Files.list(parent)) {
      assertEquals(0, files.count());
    }
  }

  @Test
  void anAbandonedStoreIsDeletedByTheNextOneButAStoreInUseIsNot() throws Exception {
    Path abandoned = Files.createDirectories(parent.resolve("spill-abandoned"));
    Files.writeString(abandoned.resolve("000001.sst"), "left by a JVM that was killed");
    Path starting = Files.createDirectories(parent.resolve("spill-starting")); // another JVM opening its store
    Files.setLastModifiedTime(abandoned, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()
        - 3_600_000));
    try (SpillStore inUse = SpillStore.open(parent, 8 << 20); SpillStore next = SpillStore.open(parent, 8 << 20)) {
      assertFalse(Files.exists(abandoned));
      assertTrue(Files.exists(starting), "a directory younger than a minute may be a store being opened");
      Files.delete(starting);
      try (var dirs = Files.list(parent)) {
        assertEquals(2, dirs.count(), "both open stores keep their directories");
      }
      inUse.put(key(1, 1), new byte[] {7});
      assertArrayEquals(new byte[] {7}, inUse.get(key(1, 1)));
    }
    try (var files = Files.list(parent)) {
      assertTrue(files.findAny().isEmpty());
    }
  }
}
