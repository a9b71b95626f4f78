package io.deltaview.driver;

import io.deltaview.sql.SqlStates;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;

class DeltaviewDataSourceTest {

  @Test
  void beanPropertiesRoundTrip() {
    DeltaviewDataSource ds = new DeltaviewDataSource();
    ds.setURL("jdbc:deltaview:postgresql://h/db");
    ds.setUser("u");
    ds.setPassword("p");
    ds.setLoginTimeout(3);
    PrintWriter w = new PrintWriter(new StringWriter());
    ds.setLogWriter(w);
    assertEquals("jdbc:deltaview:postgresql://h/db", ds.getURL());
    assertEquals("u", ds.getUser());
    assertEquals("p", ds.getPassword());
    assertEquals(3, ds.getLoginTimeout());
    assertSame(w, ds.getLogWriter());
  }

  @Test
  void theBeanNamesPoolsAndSpringBindSetTheSameProperties() throws Exception {
    DeltaviewDataSource ds = new DeltaviewDataSource();
    // As a binder does: by property name, through the JavaBeans introspector.
    java.beans.BeanInfo info = java.beans.Introspector.getBeanInfo(DeltaviewDataSource.class);
    java.util.Map<String, java.beans.PropertyDescriptor> byName = new java.util.HashMap<>();
    for (java.beans.PropertyDescriptor d : info.getPropertyDescriptors()) {
      byName.put(d.getName(), d);
    }
    byName.get("url").getWriteMethod().invoke(ds, "jdbc:deltaview:postgresql://h/db");
    byName.get("username").getWriteMethod().invoke(ds, "app");
    byName.get("password").getWriteMethod().invoke(ds, "secret");
    assertEquals("jdbc:deltaview:postgresql://h/db", ds.getURL());
    assertEquals("app", ds.getUser());
    assertEquals("app", byName.get("username").getReadMethod().invoke(ds));
    assertEquals("jdbc:deltaview:postgresql://h/db", byName.get("url").getReadMethod().invoke(ds));
  }

  @Test
  void aUrlThatIsNotDeltaviewIsRejected() {
    DeltaviewDataSource ds = new DeltaviewDataSource();
    ds.setURL("jdbc:postgresql://h/db");
    SQLException e = assertThrows(SQLException.class, ds::getConnection);
    assertEquals(SqlStates.INVALID_PARAMETER_VALUE, e.getSQLState());
  }

  @Test
  void connectionsGoThroughTheDriverAndItsOptionChecks() {
    DeltaviewDataSource ds = new DeltaviewDataSource();
    ds.setURL("jdbc:deltaview:postgresql://127.0.0.1:1/db?deltaview.typo=1");
    SQLException e = assertThrows(SQLException.class, () -> ds.getConnection("u", "p"));
    assertEquals(SqlStates.UNDEFINED_OBJECT, e.getSQLState());
    ds.setURL("jdbc:deltaview:postgresql://127.0.0.1:1/db?connectTimeout=2");
    assertTrue(assertThrows(SQLException.class, ds::getConnection) instanceof PSQLException);
  }

  @Test
  void unwrap() throws SQLException {
    DeltaviewDataSource ds = new DeltaviewDataSource();
    assertSame(ds, ds.unwrap(DataSource.class));
    assertTrue(ds.isWrapperFor(DeltaviewDataSource.class));
    assertFalse(ds.isWrapperFor(String.class));
    assertThrows(SQLException.class, () -> ds.unwrap(String.class));
  }
}
