/**
 * Z-sets and the incremental operators over them. Linear operators ({@link
 * io.deltaview.engine.operator.FilterOperator}, {@link io.deltaview.engine.operator.MapOperator}) are
 * stateless; {@link io.deltaview.engine.operator.JoinOperator} and {@link
 * io.deltaview.engine.operator.AggregateOperator} keep state. Each class holds its delta rule once.
 */
package io.deltaview.engine.operator;
