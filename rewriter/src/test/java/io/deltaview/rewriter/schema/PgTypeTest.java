package io.deltaview.rewriter.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.calcite.sql.type.SqlTypeName;
import org.junit.jupiter.api.Test;

class PgTypeTest {
  private static void assertType(String pg, SqlTypeName calcite, int precision, int scale, String sqlName) {
    PgType t = PgType.parse(pg);
    assertEquals(calcite, t.calciteType(), pg);
    assertEquals(precision, t.precision(), pg + " precision");
    assertEquals(scale, t.scale(), pg + " scale");
    assertEquals(sqlName, t.sqlName(), pg + " name");
  }

  @Test
  void mapsTheDocumentedTypes() {
    int u = PgType.UNSPECIFIED;
    assertType("int2", SqlTypeName.SMALLINT, u, u, "smallint");
    assertType("integer", SqlTypeName.INTEGER, u, u, "integer");
    assertType("int8", SqlTypeName.BIGINT, u, u, "bigint");
    assertType("numeric(10,2)", SqlTypeName.DECIMAL, 10, 2, "numeric(10,2)");
    assertType("numeric(12)", SqlTypeName.DECIMAL, 12, 0, "numeric(12,0)");
    assertType("numeric", SqlTypeName.DECIMAL, 1000, 500, "numeric");
    assertType("real", SqlTypeName.REAL, u, u, "real");
    assertType("double precision", SqlTypeName.DOUBLE, u, u, "double precision");
    assertType("text", SqlTypeName.VARCHAR, u, u, "text");
    assertType("character varying(20)", SqlTypeName.VARCHAR, 20, u, "character varying(20)");
    assertType("varchar(20)", SqlTypeName.VARCHAR, 20, u, "character varying(20)");
    assertType("bpchar(3)", SqlTypeName.CHAR, 3, u, "character(3)");
    assertType("character(3)", SqlTypeName.CHAR, 3, u, "character(3)");
    assertType("boolean", SqlTypeName.BOOLEAN, u, u, "boolean");
    assertType("date", SqlTypeName.DATE, u, u, "date");
    assertType("timestamp without time zone", SqlTypeName.TIMESTAMP, u, u, "timestamp without time zone");
    assertType("timestamp(3) without time zone", SqlTypeName.TIMESTAMP, u, u,
        "timestamp(3) without time zone");
    assertType("timestamptz", SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE, u, u, "timestamp with time zone");
    assertType("time", SqlTypeName.TIME, u, u, "time without time zone");
  }

  @Test
  void unknownTypesAreEqualityOnly() {
    assertEquals(SqlTypeName.ANY, PgType.parse("jsonb").calciteType());
    assertEquals(SqlTypeName.ANY, PgType.parse("uuid").calciteType());
    assertEquals(SqlTypeName.ANY, PgType.parse("integer[]").calciteType());
  }
}
