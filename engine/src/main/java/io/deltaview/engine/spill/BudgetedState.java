package io.deltaview.engine.spill;

/**
 * Operator state that reports its heap to the memory budget ({@link StateMemory}). A pipeline being discarded
 * gives its share back at once through {@link #releaseBudget}, rather than when the garbage collector gets to it:
 * until then the budget would count state nobody uses, and new state would move to disk for no reason.
 */
public interface BudgetedState {

  /**
   * Gives back this state's share of the budget. Safe to call on state still in use: it reports again at its
   * next check.
   */
  void releaseBudget();
}
