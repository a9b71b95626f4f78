package io.deltaview.engine.operator;

import io.deltaview.engine.row.Row;
import io.deltaview.engine.state.Checkpointable;
import io.deltaview.engine.state.StateFormatException;
import io.deltaview.engine.state.StateInput;
import io.deltaview.engine.state.StateOutput;
import java.util.List;
import java.util.function.ObjLongConsumer;

/**
 * A relation that never changes ({@code VALUES (…), (…)}): its rows are inserted once, on the pipeline's first
 * step (the view's load, or its activation when the load stepped nothing), and its change is empty from then on.
 * The only state is whether that step happened: a pipeline restored from a checkpoint already holds the rows in
 * the state above it and in the result table, so it must not insert them again.
 */
public final class ConstantOperator implements Checkpointable {

  private final List<Row> rows;
  private boolean emitted;

  public ConstantOperator(List<Row> rows) {
    this.rows = List.copyOf(rows);
  }

  /** The rows at weight +1 on the first call, nothing afterwards. */
  public void step(ObjLongConsumer<Row> out) {
    if (emitted) {
      return;
    }
    emitted = true;
    for (Row row : rows) {
      out.accept(row, 1);
    }
  }

  /** The number of rows (checked on reading, so that a state is not read into a different list), then the flag. */
  @Override
  public void writeState(StateOutput out) {
    out.writeCount(rows.size());
    out.writeBoolean(emitted);
  }

  @Override
  public void readState(StateInput in) {
    if (in.readCount() != rows.size()) {
      throw new StateFormatException("the checkpoint's VALUES list differs from the plan's");
    }
    emitted = in.readBoolean();
  }
}
