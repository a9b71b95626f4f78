/**
 * Scalar expressions: Calcite {@code RexNode}s compiled to {@link io.deltaview.engine.expr.Scalar}s that
 * evaluate over canonical rows with PostgreSQL's semantics ({@link io.deltaview.engine.expr.PgValues}).
 */
package io.deltaview.engine.expr;
