/**
 * Operator state beyond the memory budget: {@link io.deltaview.engine.spill.StateMemory} accounts for the
 * arrangements' estimated heap bytes against {@code deltaview.engine.memory}, and an arrangement that grows
 * past it while the budget is exceeded moves to a {@link io.deltaview.engine.spill.SpillStore} on local disk
 * (RocksDB), where it keeps working, slower. The disk copy is scratch space: the durable copy of the state is
 * the view's checkpoint in the database.
 */
package io.deltaview.engine.spill;
