package io.deltaview.engine.state;

import io.deltaview.engine.compile.ViewPipeline;
import java.util.List;

/**
 * The state of a whole view pipeline: a header (magic, {@link #FORMAT_VERSION}, the operators' classes in plan
 * order), then each stateful operator's own state, then an end mark.
 */
public final class PipelineState {

  /**
   * The layout of checkpoint bytes; raise it whenever what any operator writes changes, so that older
   * checkpoints are recognised as incompatible (the view is then rebuilt from a snapshot).
   */
  public static final int FORMAT_VERSION = 3;
  private static final long MAGIC = 0x4456434bL; // "DVCK"
  private static final long END = 0x454e44L;

  private PipelineState() {
  }

  /**
   * Writes {@code pipeline}'s operator state (between steps only).
   *
   * @return null when the pipeline cannot be checkpointed (see {@link ViewPipeline#checkpointableState()})
   * @throws StateFormatException when a value in the state cannot be written
   */
  public static StateOutput write(ViewPipeline pipeline) {
    List<Checkpointable> operators = pipeline.checkpointableState();
    if (operators == null) {
      return null;
    }
    StateOutput out = new StateOutput();
    out.writeLong(MAGIC);
    out.writeLong(FORMAT_VERSION);
    out.writeCount(operators.size());
    for (Checkpointable op : operators) {
      out.writeString(op.getClass().getName());
    }
    for (Checkpointable op : operators) {
      op.writeState(out);
    }
    out.writeLong(END);
    return out;
  }

  /**
   * Reads a state written by {@link #write} into {@code fresh}, a pipeline compiled from the same plan that has
   * not been stepped.
   *
   * @throws StateFormatException if the bytes are damaged or belong to another plan
   */
  public static void read(ViewPipeline fresh, List<byte[]> parts) {
    read(fresh, new StateInput(parts));
  }

  /** As {@link #read(ViewPipeline, List)}, from {@code in}, which it reads to its end. */
  public static void read(ViewPipeline fresh, StateInput in) {
    List<Checkpointable> operators = fresh.checkpointableState();
    if (operators == null) {
      throw new StateFormatException("the view's plan cannot be checkpointed");
    }
    try {
      if (in.readLong() != MAGIC) {
        throw new StateFormatException("not a Deltaview checkpoint");
      }
      long version = in.readLong();
      if (version != FORMAT_VERSION) {
        throw new StateFormatException("checkpoint format " + version + ", this engine reads " + FORMAT_VERSION);
      }
      if (in.readCount() != operators.size()) {
        throw new StateFormatException("the checkpoint's operators differ from the plan's");
      }
      for (Checkpointable op : operators) {
        if (!in.readString().equals(op.getClass().getName())) {
          throw new StateFormatException("the checkpoint's operators differ from the plan's");
        }
      }
      for (Checkpointable op : operators) {
        op.readState(in);
      }
      if (in.readLong() != END || !in.atEnd()) {
        throw new StateFormatException("the checkpoint does not end where its operators' state does");
      }
    } catch (StateFormatException | CheckpointStore.PartFailed e) {
      throw e; // a part the database failed to give is not damage to the checkpoint
    } catch (RuntimeException e) {
      throw new StateFormatException("the checkpoint cannot be read: " + e, e);
    }
  }
}
