package io.deltaview.engine.view;

import io.deltaview.engine.compile.ViewPipeline;
import java.util.List;
import java.util.function.Supplier;

/**
 * A view query compiled for maintenance: how to build fresh operator state, which base tables it reads
 * (in pipeline source order), its unique key if one is known, and whether that key can hold NULLs.
 */
public record PlannedView(
    Supplier<ViewPipeline> pipelineFactory,
    List<TableShape> sources,
    int[] uniqueKey,
    boolean keyNotNull) {

  /** Distinct base tables as {@code schema.table}. */
  public List<String> baseTables() {
    return sources.stream().map(TableShape::qualifiedName).distinct().toList();
  }
}
