package io.deltaview.engine.cdc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.cdc.PgOutputMessage.Relation;
import io.deltaview.engine.cdc.PgOutputMessage.Update;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ToastResolverTest {

  private static final boolean[] FIRST_IS_KEY = {true, false, false};

  @Test
  void recordedFullIdentityUpdateTakesValueFromOldRow() {
    List<PgOutputMessage> m = Recorded.decodeAll("toast-full");
    Relation rel = (Relation) m.get(1);
    Update u = (Update) m.get(2);
    ToastResolver.Resolved r = ToastResolver.resolve(u, rel);
    assertTrue(r.complete());
    assertEquals("1", r.values().get(0));
    assertEquals("renamed", r.values().get(1));
    assertEquals(u.oldTuple().text(2), r.values().get(2));
  }

  @Test
  void recordedDefaultIdentityUpdateLeavesValueUnresolved() {
    List<PgOutputMessage> m = Recorded.decodeAll("toast-default");
    ToastResolver.Resolved r = ToastResolver.resolve((Update) m.get(2), (Relation) m.get(1));
    assertFalse(r.complete());
    assertArrayEquals(new int[] {2}, r.unresolved());
    assertEquals(Arrays.asList("1", "renamed", null), r.values());
  }

  @Test
  void keyOnlyOldTupleSuppliesOnlyKeyColumns() {
    TupleData oldKey = TupleData.builder(3).text("7").nul().nul().build();
    TupleData newRow = TupleData.builder(3).unchangedToast().text("x").unchangedToast().build();
    ToastResolver.Resolved r = ToastResolver.resolve('K', oldKey, newRow, FIRST_IS_KEY);
    assertEquals("7", r.values().get(0));
    assertArrayEquals(new int[] {2}, r.unresolved(), "a non-key 'n' in a K tuple means 'not sent', not NULL");
    assertNull(r.values().get(2));
  }

  @Test
  void fullOldRowNullIsARealNull() {
    TupleData oldRow = TupleData.builder(3).text("7").nul().text("body").build();
    TupleData newRow = TupleData.builder(3).text("7").unchangedToast().unchangedToast().build();
    ToastResolver.Resolved r = ToastResolver.resolve('O', oldRow, newRow, FIRST_IS_KEY);
    assertTrue(r.complete());
    assertEquals(Arrays.asList("7", null, "body"), r.values());
  }

  @Test
  void unchangedInBothTuplesStaysUnresolved() {
    TupleData oldRow = TupleData.builder(2).text("7").unchangedToast().build();
    TupleData newRow = TupleData.builder(2).text("8").unchangedToast().build();
    ToastResolver.Resolved r = ToastResolver.resolve('O', oldRow, newRow, new boolean[] {true, true});
    assertArrayEquals(new int[] {1}, r.unresolved());
  }

  @Test
  void noOldTupleAndNothingUnchanged() {
    TupleData newRow = TupleData.builder(2).text("8").nul().build();
    ToastResolver.Resolved r = ToastResolver.resolve((char) 0, null, newRow, new boolean[2]);
    assertTrue(r.complete());
    assertEquals(Arrays.asList("8", null), r.values());
  }

  @Test
  void resolvedIsImmutable() {
    TupleData newRow = TupleData.builder(1).unchangedToast().build();
    ToastResolver.Resolved r = ToastResolver.resolve((char) 0, null, newRow, new boolean[1]);
    r.unresolved()[0] = 99;
    assertArrayEquals(new int[] {0}, r.unresolved());
    assertThrows(UnsupportedOperationException.class, () -> r.values().set(0, "x"));
  }
}
