package io.deltaview.engine.catalog;

import io.deltaview.engine.expr.SessionZone;
import java.util.List;

/**
 * One registered view as stored in {@code deltaview.view_catalog}: the durable part of a view, from which the
 * engine rebuilds everything else after a restart. {@code definition} is canonical SQL
 * ({@code DefinitionSql}); {@code searchPath} is the creator's search_path, which resolves the definition's
 * unqualified table names the same way every time; {@code owner} is the role that created the view (who may
 * drop it), null for views from before owners were recorded; {@code timeZone} is the creator's
 * {@code TimeZone} setting, in which the definition's timestamptz conversions are evaluated (null, UTC, for
 * views from before it was recorded).
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
    String owner,
    String timeZone) {

  /** A record of a view defined in UTC. */
  public ViewRecord(String schema, String name, String definition, List<String> baseTables, String origin,
      ViewState status, String lastError, String searchPath, String owner) {
    this(schema, name, definition, baseTables, origin, status, lastError, searchPath, owner, null);
  }

  /** This record with another definition text. */
  public ViewRecord withDefinition(String newDefinition) {
    return new ViewRecord(schema, name, newDefinition, baseTables, origin, status, lastError, searchPath, owner,
        timeZone);
  }

  /** The zone the definition's timestamptz conversions are evaluated in. */
  public SessionZone zone() {
    return SessionZone.of(timeZone);
  }

  /** {@code schema.name}, the key users refer to. */
  public String qualifiedName() {
    return schema + "." + name;
  }
}
