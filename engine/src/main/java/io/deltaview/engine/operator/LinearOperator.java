package io.deltaview.engine.operator;

/**
 * A stateless operator that distributes over Z-set addition, so its delta rule is the operator itself:
 * Δ(op(a)) = op(Δa). Filter and map are linear.
 */
public interface LinearOperator {

  /** The output delta for {@code delta}; {@code delta} is not changed. */
  ZSet apply(ZSet delta);
}
