package io.deltaview.driver.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The compiler checks abstract JDBC methods; this checks the default ones too (beginRequest,
 * enquoteLiteral, executeLargeUpdate, ...), which would otherwise silently skip pgjdbc.
 */
class DelegationCompletenessTest {

  private static void assertEveryMethodImplemented(Class<?> wrapper, Class<?> iface) {
    List<String> missing = new ArrayList<>();
    for (Method m : iface.getMethods()) {
      if (Modifier.isStatic(m.getModifiers())) {
        continue;
      }
      try {
        Method impl = wrapper.getMethod(m.getName(), m.getParameterTypes());
        if (impl.getDeclaringClass().isInterface()) {
          missing.add(m.getName());
        }
      } catch (NoSuchMethodException e) {
        missing.add(m.getName());
      }
    }
    assertEquals(List.of(), missing, wrapper.getSimpleName() + " inherits interface defaults");
  }

  @Test
  void everyJdbcMethodIsImplementedByTheWrapper() {
    assertEveryMethodImplemented(ConnectionWrapper.class, Connection.class);
    assertEveryMethodImplemented(StatementWrapper.class, Statement.class);
    assertEveryMethodImplemented(PreparedStatementWrapper.class, PreparedStatement.class);
    assertEveryMethodImplemented(CallableStatementWrapper.class, CallableStatement.class);
    assertEveryMethodImplemented(DatabaseMetaDataWrapper.class, DatabaseMetaData.class);
    assertEveryMethodImplemented(ResultSetWrapper.class, ResultSet.class);
  }

  @Test
  void wrappersAreMarkedAndNotPublic() {
    for (Class<?> c : List.of(ConnectionWrapper.class, StatementWrapper.class, PreparedStatementWrapper.class,
        CallableStatementWrapper.class, DatabaseMetaDataWrapper.class, ResultSetWrapper.class)) {
      assertTrue(DeltaviewWrapper.class.isAssignableFrom(c), c.getName());
      assertTrue(!Modifier.isPublic(c.getModifiers()), c.getName());
    }
  }
}
