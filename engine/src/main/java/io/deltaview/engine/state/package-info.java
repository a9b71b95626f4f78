/**
 * Durable operator state: what a view's stateful operators hold, written as a compact binary stream
 * ({@link io.deltaview.engine.state.StateOutput}, {@link io.deltaview.engine.state.StateInput}) through the
 * {@link io.deltaview.engine.state.Checkpointable} seam, and kept as checkpoints in the database
 * ({@link io.deltaview.engine.state.CheckpointStore}) so that a restarted or taking-over engine resumes the
 * stream from a checkpoint's position instead of reading the base tables again.
 */
package io.deltaview.engine.state;
