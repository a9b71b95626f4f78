package io.deltaview.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PgjdbcVersionTest {

  @Test
  void readsTheVersionOfThePgjdbcClassesLoadedAtRunTime() {
    org.postgresql.Driver pgjdbc = new org.postgresql.Driver();
    int[] found = PgjdbcVersion.found();
    assertNotNull(found);
    assertArrayEquals(new int[] {pgjdbc.getMajorVersion(), pgjdbc.getMinorVersion()}, new int[] {found[0], found[1]});
    assertNull(PgjdbcVersion.problem(found), "the pgjdbc this project builds with is supported");
  }

  @Test
  void refusesOlderThanTheMinimumAndAcceptsLater() {
    for (int[] old : new int[][] {{42, 6, 2}, {42, 2, 27}, {41, 9, 9}}) {
      String problem = PgjdbcVersion.problem(old);
      assertNotNull(problem);
      assertTrue(problem.contains(PgjdbcVersion.MINIMUM) && problem.contains(old[0] + "." + old[1] + "." + old[2]),
          problem);
    }
    assertNotNull(PgjdbcVersion.problem(null), "too old to say its version");
    for (int[] fine : new int[][] {{42, 7, 0}, {42, 7, 14}, {42, 8, 0}, {43, 0, 0}}) {
      assertNull(PgjdbcVersion.problem(fine));
    }
  }
}
