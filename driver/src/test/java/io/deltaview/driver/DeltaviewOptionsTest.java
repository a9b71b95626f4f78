package io.deltaview.driver;

import io.deltaview.sql.SqlStates;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeltaviewOptionsTest {

  @Test
  void defaults() throws SQLException {
    DeltaviewOptions o = DeltaviewOptions.parse(Map.of());
    assertEquals(DeltaviewOptions.DEFAULTS, o);
    assertEquals(DeltaviewOptions.Mode.ALL, o.mode());
    assertEquals(DeltaviewOptions.Consistency.EVENTUAL, o.consistency());
    assertEquals(5000, o.strongTimeoutMs());
    assertEquals(DeltaviewOptions.Engine.EMBEDDED, o.engine());
  }

  @Test
  void everyOptionParses() throws SQLException {
    DeltaviewOptions o = DeltaviewOptions.parse(Map.of("deltaview.mode", "OFF", "deltaview.consistency",
        "strong",
        "deltaview.strongTimeoutMs", " 250 ", "deltaview.engine", "none", "deltaview.autoCreate", "FALSE",
        "deltaview.autoCreate.max", "7", "deltaview.maxRetainedWal", "10GB", "deltaview.viewEngine", "Flink"));
    assertEquals(DeltaviewOptions.Mode.OFF, o.mode());
    assertEquals(DeltaviewOptions.Consistency.STRONG, o.consistency());
    assertEquals(250, o.strongTimeoutMs());
    assertEquals(DeltaviewOptions.Engine.NONE, o.engine());
    assertFalse(o.autoCreate());
    assertEquals(7, o.autoCreateMax());
    assertEquals("deltaview.mode=off, deltaview.consistency=strong, deltaview.strongTimeoutMs=250, "
        + "deltaview.engine=none, deltaview.autoCreate=false, deltaview.autoCreate.max=7,"
        + " deltaview.maxRetainedWal=10737418240, deltaview.viewEngine=flink", o.toString());
    assertEquals("flink", o.viewEngine());
    assertEquals("embedded", DeltaviewOptions.DEFAULTS.viewEngine());
    assertEquals(DeltaviewOptions.Mode.OPT_IN, DeltaviewOptions.parse(Map.of("deltaview.mode", "Opt-In")).mode());
  }

  @Test
  void invalidValuesNameTheOptionAndTheAllowedValues() {
    SQLException e = assertThrows(SQLException.class,
        () -> DeltaviewOptions.parse(Map.of("deltaview.consistency", "strict")));
    assertEquals(SqlStates.INVALID_PARAMETER_VALUE, e.getSQLState());
    assertTrue(e.getMessage().contains("deltaview.consistency"), e.getMessage());
    assertTrue(e.getMessage().contains("eventual | strong"), e.getMessage());

    for (String bad : new String[] {"-1", "soon", ""}) {
      SQLException t = assertThrows(SQLException.class,
          () -> DeltaviewOptions.parse(Map.of("deltaview.strongTimeoutMs", bad)));
      assertEquals(SqlStates.INVALID_PARAMETER_VALUE, t.getSQLState());
      assertTrue(t.getMessage().contains("deltaview.strongTimeoutMs"));
    }
    for (String bad : new String[] {"", "flink'); DROP TABLE t; --", "9lives", "\"flink\""}) {
      SQLException v = assertThrows(SQLException.class,
          () -> DeltaviewOptions.parse(Map.of("deltaview.viewEngine", bad)));
      assertEquals(SqlStates.INVALID_PARAMETER_VALUE, v.getSQLState());
      assertTrue(v.getMessage().contains("deltaview.viewEngine"), v.getMessage());
    }
    SQLException m = assertThrows(SQLException.class, () -> DeltaviewOptions.parse(Map.of("deltaview.mode",
        "on")));
    assertTrue(m.getMessage().contains("all | opt-in | off"), m.getMessage());
    SQLException b = assertThrows(SQLException.class, () -> DeltaviewOptions.parse(Map.of("deltaview.autoCreate",
        "yes")));
    assertTrue(b.getMessage().contains("deltaview.autoCreate") && b.getMessage().contains("true | false"),
        b.getMessage());
  }

  @Test
  void consistencyTakesAStalenessBoundOrReadYourWrites() throws SQLException {
    DeltaviewOptions b = DeltaviewOptions.parse(Map.of("deltaview.consistency", " Bounded( 500 ) "));
    assertEquals(DeltaviewOptions.Consistency.BOUNDED, b.consistency());
    assertEquals(ReadConsistency.bounded(500), b.readConsistency());
    assertEquals(500, b.readConsistency().boundMs());
    assertTrue(b.toString().contains("deltaview.consistency=bounded(500),"), b.toString());
    assertFalse(b.equals(DeltaviewOptions.parse(Map.of("deltaview.consistency", "bounded(501)"))),
        "connections with different bounds do not share options");
    DeltaviewOptions ryw = DeltaviewOptions.parse(Map.of("deltaview.consistency", "read-your-writes"));
    assertEquals(DeltaviewOptions.Consistency.READ_YOUR_WRITES, ryw.consistency());
    assertTrue(ryw.toString().contains("deltaview.consistency=read-your-writes,"), ryw.toString());
  }

  @Test
  void badConsistenciesAreRefusedWithTheAllowedSpellings() {
    for (String bad : new String[] {"bounded", "bounded()", "bounded(-5)", "bounded(5s)", "bounded(500",
        "bounded((500))", "bounded(500))", "bounded(1.5)", "bounded(99999999999999999999)", "read_your_writes",
        "default", "strong,bounded(5)", ""}) {
      SQLException e = assertThrows(SQLException.class,
          () -> DeltaviewOptions.parse(Map.of("deltaview.consistency", bad)), bad);
      assertEquals(SqlStates.INVALID_PARAMETER_VALUE, e.getSQLState(), bad);
      assertTrue(e.getMessage().contains("deltaview.consistency")
          && e.getMessage().contains("eventual | strong | bounded(<ms>) | read-your-writes"), e.getMessage());
    }
  }

  @Test
  void maxRetainedWalTakesSizesLikePostgresql() throws SQLException {
    assertEquals(DeltaviewOptions.UNLIMITED, DeltaviewOptions.DEFAULTS.maxRetainedWal());
    String[][] cases = {{"1048576", "1048576"}, {"512B", "512"}, {"64kB", "65536"}, {"64 KB", "65536"},
        {"100MB", "104857600"}, {"1gb", "1073741824"}, {"2TB", "2199023255552"}, {"unlimited", "-1"},
        {"-1", "-1"}, {" 1GB ", "1073741824"}};
    for (String[] c : cases) {
      assertEquals(Long.parseLong(c[1]), DeltaviewOptions.parse(Map.of("deltaview.maxRetainedWal", c[0]))
          .maxRetainedWal(), c[0]);
    }
    for (String bad : new String[] {"0", "-2", "1PB", "10 G", "GB", "", "1.5GB", "99999999999999999999",
        "9000000TB"}) {
      SQLException e = assertThrows(SQLException.class,
          () -> DeltaviewOptions.parse(Map.of("deltaview.maxRetainedWal", bad)), bad);
      assertEquals(SqlStates.INVALID_PARAMETER_VALUE, e.getSQLState(), bad);
      assertTrue(e.getMessage().contains("deltaview.maxRetainedWal"), e.getMessage());
    }
  }

  @Test
  void unknownKeysAreErrorsNotIgnored() {
    SQLException e = assertThrows(SQLException.class,
        () -> DeltaviewOptions.parse(Map.of("deltaview.consistancy", "strong")));
    assertEquals(SqlStates.UNDEFINED_OBJECT, e.getSQLState());
    assertTrue(e.getMessage().contains("deltaview.consistancy"));
  }
}
