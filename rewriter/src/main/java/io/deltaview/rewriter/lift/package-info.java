/**
 * Turns a marked query that no view answers into the definition of a view that answers it for every value
 * of its JDBC parameters ({@link io.deltaview.rewriter.lift.ParameterLifter}).
 */
package io.deltaview.rewriter.lift;
