/**
 * Incrementalisation as a compile step: {@link io.deltaview.engine.compile.ViewCompiler} turns a Calcite
 * logical plan into a {@link io.deltaview.engine.compile.ViewPipeline}, or names the unsupported construct
 * in an {@link io.deltaview.engine.compile.UnsupportedConstructException}.
 */
package io.deltaview.engine.compile;
