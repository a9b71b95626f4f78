package io.deltaview.engine.sink;

/** A result-table column: its name and PostgreSQL type as {@code format_type} prints it (e.g. {@code numeric(10,2)}). */
public record ResultColumn(String name, String pgType) {
}
