package io.deltaview.engine.catalog;

import java.util.List;

/**
 * One registered view as stored in {@code deltaview.view_catalog}: the durable part of a view, from which the
 * engine rebuilds everything else after a restart. {@code definition} is canonical SQL
 * ({@code DefinitionSql}); {@code searchPath} is the creator's search_path, which resolves the definition's
 * unqualified table names the same way every time; {@code owner} is the role that created the view (who may
 * drop it), null for views from before owners were recorded.
 */
public record ViewRecord(
    String schema,
    String name,
    String definition,
    List<String> baseTables,
    String origin,
    ViewState status,
    String lastError,
    String searchPath,
    String owner) {

  /** This record with another definition text. */
  public ViewRecord withDefinition(String newDefinition) {
    return new ViewRecord(schema, name, newDefinition, baseTables, origin, status, lastError, searchPath, owner);
  }

  /** {@code schema.name}, the key users refer to. */
  public String qualifiedName() {
    return schema + "." + name;
  }
}
