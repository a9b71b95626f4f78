package io.deltaview.driver.command;

/** A Deltaview SQL command, recognised by the driver and never sent to PostgreSQL as written. */
public sealed interface IncrementalCommand {

  /**
   * {@code CREATE INCREMENTAL VIEW [IF NOT EXISTS] [schema.]name [WITH (engine = '…')] AS <select>}; {@code engine}
   * is null when not given (the embedded engine).
   */
  record CreateView(QualifiedName name, boolean ifNotExists, String query, String engine) implements IncrementalCommand {
  }

  /** {@code DROP INCREMENTAL VIEW [IF EXISTS] [schema.]name}. */
  record DropView(QualifiedName name, boolean ifExists) implements IncrementalCommand {
  }

  /** {@code SHOW INCREMENTAL VIEWS}. */
  record ShowViews() implements IncrementalCommand {
  }

  /** {@code SHOW INCREMENTAL QUERIES}: the query shapes this role's connections ran recently, and how they were routed. */
  record ShowQueries() implements IncrementalCommand {
  }

  /** {@code EXPLAIN INCREMENTAL <select>}. */
  record Explain(String query) implements IncrementalCommand {
  }

  /** {@code EXPLAIN INCREMENTAL VIEW [schema.]name}: the dataflow maintaining a view. */
  record ExplainView(QualifiedName name) implements IncrementalCommand {
  }

  /** {@code EXPLAIN INCREMENTAL VIEW AS <select>}: the dataflow that would maintain a definition. */
  record ExplainDefinition(String query) implements IncrementalCommand {
  }

  /** A possibly schema-qualified name; {@code schema} is null when unqualified. Unquoted parts are lower-cased. */
  record QualifiedName(String schema, String name) {
    @Override
    public String toString() {
      return schema == null ? name : schema + "." + name;
    }
  }
}
