package io.deltaview.agent;

import java.sql.Connection;
import java.util.Properties;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into {@code org.postgresql.Driver#connect(String, Properties)}: replaces the connection it returns with
 * what {@link ConnectBridge#connected} makes of it. Suppresses its own failures, so pgjdbc's result stands.
 */
final class DriverConnectAdvice {

  private DriverConnectAdvice() {
  }

  @Advice.OnMethodExit(suppress = Throwable.class)
  static void exit(@Advice.Origin Class<?> driverType, @Advice.Argument(0) String url,
      @Advice.Argument(1) Properties info, @Advice.Return(readOnly = false) Connection connection) {
    connection = ConnectBridge.connected(driverType, url, info, connection);
  }
}
