package io.deltaview.rewriter.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.rewriter.TestCatalog;
import java.util.List;
import org.junit.jupiter.api.Test;

class CatalogSchemaTest {
  @Test
  void assemblesTablesFromCatalogRows() {
    CatalogSchema s = CatalogSchema.fromRows(List.of(
        new CatalogSchema.CatalogRow("app,public", "app", "orders", "id", "integer", true, 1, false),
        new CatalogSchema.CatalogRow("app,public", "app", "orders", "amount", "numeric(10,2)", false, 0, false),
        new CatalogSchema.CatalogRow("app,public", "app", "lines", "order_id", "integer", true, 1, false),
        new CatalogSchema.CatalogRow("app,public", "app", "lines", "no", "smallint", true, 2, false),
        new CatalogSchema.CatalogRow("app,public", "public", "t", "x", "jsonb", false, 0, false)));
    assertEquals(List.of("app", "public"), s.searchPath());
    assertEquals("app", s.currentSchema());
    TableInfo orders = s.resolve("orders").orElseThrow();
    assertEquals("app.orders", orders.qualifiedName());
    assertEquals(List.of("id"), orders.primaryKey());
    assertEquals("numeric(10,2)", orders.column("amount").orElseThrow().type().sqlName());
    assertTrue(orders.column("amount").orElseThrow().nullable());
    assertFalse(orders.column("id").orElseThrow().nullable());
    assertEquals(List.of("order_id", "no"), s.table("app", "lines").orElseThrow().primaryKey());
    assertTrue(s.resolve("t").isPresent());
  }

  @Test
  void emptyDatabaseStillKnowsItsSearchPath() {
    CatalogSchema s = CatalogSchema.fromRows(List.of(
        new CatalogSchema.CatalogRow("public", null, null, null, null, false, 0, false)));
    assertEquals(List.of("public"), s.searchPath());
    assertTrue(s.schemas().isEmpty());
  }

  @Test
  void versionFollowsContent() {
    assertEquals(TestCatalog.withResultTables().version(), TestCatalog.withResultTables().version());
    assertEquals(TestCatalog.withResultTables(), TestCatalog.withResultTables());
    CatalogSchema changed = TestCatalog.baseTables().table("public", "extra").column("a", "int4").done().build();
    assertNotEquals(TestCatalog.baseTables().build().version(), changed.version());
  }

  @Test
  void catalogQuerySkipsSystemSchemasAndDeltaview() {
    for (String schema : List.of("'pg_catalog'", "'information_schema'", "'pg_toast'", "'deltaview'")) {
      assertTrue(CatalogSchema.CATALOG_QUERY.contains(schema), schema);
    }
  }
}
