package io.deltaview;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DeltaviewTest {

  @AfterEach
  void noScopeLeft() {
    assertNull(Deltaview.currentOptIn(), "a test left a scope open on its thread");
  }

  @Test
  void scopeMarksOnlyWhileOpen() {
    assertNull(Deltaview.currentOptIn());
    try (Deltaview.Scope scope = Deltaview.optIn()) {
      assertEquals(Consistency.DEFAULT, Deltaview.currentOptIn());
    }
    assertNull(Deltaview.currentOptIn());
  }

  @Test
  void innermostScopeWinsAndOuterComesBack() {
    try (Deltaview.Scope outer = Deltaview.optIn(Consistency.EVENTUAL)) {
      try (Deltaview.Scope inner = Deltaview.optIn(Consistency.STRONG)) {
        assertEquals(Consistency.STRONG, Deltaview.currentOptIn());
      }
      assertEquals(Consistency.EVENTUAL, Deltaview.currentOptIn());
    }
  }

  @Test
  void closingOuterEndsInnerLeftOpenAndLateInnerCloseIsHarmless() {
    Deltaview.Scope outer = Deltaview.optIn();
    Deltaview.Scope inner = Deltaview.optIn(Consistency.STRONG);
    outer.close();
    assertNull(Deltaview.currentOptIn());
    inner.close();
    outer.close();
    assertNull(Deltaview.currentOptIn());
  }

  @Test
  void exceptionInsideTryClosesTheScope() {
    assertThrows(IllegalStateException.class, () -> {
      try (Deltaview.Scope scope = Deltaview.optIn()) {
        throw new IllegalStateException("boom");
      }
    });
    assertNull(Deltaview.currentOptIn());
  }

  @Test
  void otherThreadsAreNotMarkedAndCannotCloseTheScope() throws Exception {
    try (Deltaview.Scope scope = Deltaview.optIn()) {
      assertNull(CompletableFuture.supplyAsync(Deltaview::currentOptIn).get());
      Exception e = CompletableFuture.supplyAsync(() -> {
        try {
          scope.close();
          return null;
        } catch (IllegalStateException expected) {
          return expected;
        }
      }).get();
      assertEquals(IllegalStateException.class, e.getClass());
      assertEquals(Consistency.DEFAULT, Deltaview.currentOptIn());
    }
  }

  @Test
  void nullConsistencyIsRefused() {
    assertThrows(NullPointerException.class, () -> Deltaview.optIn(null));
  }
}
