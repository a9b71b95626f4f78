package io.deltaview.engine.spill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class StateMemoryTest {

  @Test
  void sizesParseWithUnits() {
    assertEquals(123, StateMemory.parseSize("123"));
    assertEquals(64L << 10, StateMemory.parseSize("64k"));
    assertEquals(512L << 20, StateMemory.parseSize(" 512M "));
    assertEquals(2L << 30, StateMemory.parseSize("2g"));
    assertThrows(IllegalArgumentException.class, () -> StateMemory.parseSize("-1m"));
    assertThrows(IllegalArgumentException.class, () -> StateMemory.parseSize("lots"));
    assertThrows(IllegalArgumentException.class, () -> StateMemory.parseSize("99999999999g"));
  }

  @Test
  void anArrangementSpillsOnlyWhenTheTotalIsOverAndItHoldsASizeableShare() {
    StateMemory memory = new StateMemory(1600, Path.of("unused"), 1);
    StateMemory.Account big = memory.open();
    StateMemory.Account small = memory.open();
    big.report(1000);
    small.report(50);
    assertFalse(memory.shouldSpill(1000), "within the budget");
    small.report(700);
    assertEquals(1700, memory.used());
    assertTrue(memory.shouldSpill(1000));
    assertFalse(memory.shouldSpill(50), "a sixteenth of the budget at least");
    big.release();
    assertEquals(700, memory.used());
    assertFalse(memory.shouldSpill(700));
  }
}
