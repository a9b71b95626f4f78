package io.deltaview.engine.catalog;

import java.util.List;

/**
 * One registered view as stored in {@code deltaview.views}: the durable part of a view, from which the
 * engine rebuilds everything else after a restart. {@code searchPath} is the creator's search_path, which
 * resolves the definition's unqualified table names the same way every time.
 */
public record ViewRecord(
    String schema,
    String name,
    String definition,
    List<String> baseTables,
    String origin,
    String status,
    String lastError,
    String searchPath) {

  /** {@code schema.name}, the key users refer to. */
  public String qualifiedName() {
    return schema + "." + name;
  }
}
