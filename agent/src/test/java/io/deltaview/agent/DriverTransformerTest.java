package io.deltaview.agent;

import static io.deltaview.agent.TransformerTestSupport.call;
import static io.deltaview.agent.TransformerTestSupport.classFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.deltaview.agent.TransformerFixtures.FakeDriver;
import io.deltaview.agent.TransformerTestSupport.Throwaway;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.commons.ClassRemapper;
import net.bytebuddy.jar.asm.commons.SimpleRemapper;
import org.junit.jupiter.api.Test;

/**
 * {@link DriverTransformer} and {@link ConnectBridge} without an agent: a stand-in for pgjdbc's Driver (renamed to
 * {@code org.postgresql.Driver}) is transformed, defined in a throwaway loader (verified at once) and called.
 */
class DriverTransformerTest {

  private static final String DRIVER_NAME = "org.postgresql.Driver";

  /** FakeDriver's class file, renamed to org.postgresql.Driver. */
  private static byte[] fakeDriver() throws Exception {
    ClassWriter writer = new ClassWriter(0);
    new ClassReader(classFile(FakeDriver.class)).accept(new ClassRemapper(writer, new SimpleRemapper(
        Map.of(FakeDriver.class.getName().replace('.', '/'), DriverTransformer.DRIVER))), 0);
    return writer.toByteArray();
  }

  @Test
  void everyReturnOfConnectGoesThroughTheBridgeAndNothingElseChanges() throws Exception {
    byte[] transformed = DriverTransformer.instrument(fakeDriver());
    // the inserted call precedes each areturn of connect(String, Properties), and only those
    List<String> calls = new ArrayList<>();
    new ClassReader(transformed).accept(new ClassVisitor(Opcodes.ASM9) {
      @Override
      public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
          String[] exceptions) {
        return new MethodVisitor(Opcodes.ASM9) {
          private String previous = "";

          @Override
          public void visitMethodInsn(int opcode, String owner, String method, String d, boolean itf) {
            previous = owner + "." + method;
          }

          @Override
          public void visitInsn(int opcode) {
            if (opcode == Opcodes.ARETURN) {
              calls.add(name + descriptor + " " + previous);
            }
            previous = "";
          }
        };
      }
    }, 0);
    String bridge = "io/deltaview/agent/ConnectBridge.connected";
    assertEquals(List.of(
        DriverTransformer.CONNECT + DriverTransformer.CONNECT_DESCRIPTOR + " " + bridge,
        DriverTransformer.CONNECT + DriverTransformer.CONNECT_DESCRIPTOR + " " + bridge,
        "connect(Ljava/lang/String;)Ljava/sql/Connection; "), calls.subList(0, 3));

    // the bridge is not configured here, so it hands pgjdbc's result back: behaviour is unchanged
    Class<?> driver = new Throwaway(getClass().getClassLoader()).define(DRIVER_NAME, transformed);
    Object instance = driver.getConstructor().newInstance();
    Properties info = new Properties();
    info.setProperty("user", "u");
    assertEquals("fake jdbc:postgresql://h/db u",
        call(driver, instance, "connect", "jdbc:postgresql://h/db", info).toString());
    assertNull(call(driver, instance, "connect", "jdbc:mysql://h/db", info));
    SQLException e = assertThrows(SQLException.class, () -> call(driver, instance, "connect", null, info));
    assertEquals("no url", e.getMessage());
  }

  @Test
  void aClassWithoutConnectIsLeftAlone() throws Exception {
    assertNull(DriverTransformer.instrument(classFile(DriverTransformerTest.class)));
    DriverTransformer t = new DriverTransformer();
    ClassLoader loader = getClass().getClassLoader();
    assertNull(t.transform(loader, "org/postgresql/Other", null, null, fakeDriver()), "only the Driver");
    assertNull(t.transform(null, DriverTransformer.DRIVER, null, null, fakeDriver()), "not in the boot loader");
  }

  /** The bridge never throws: whatever fails inside, pgjdbc's connection comes back. */
  @Test
  void theBridgeFailsOpen() throws Exception {
    Connection raw = (Connection) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {Connection.class}, (proxy, method, args) -> null);
    assertSame(raw, ConnectBridge.connected(raw, BridgeProbe.class, "jdbc:postgresql://h/db", new Properties()));
    assertNull(ConnectBridge.connected(null, BridgeProbe.class, "jdbc:postgresql://h/db", null));
    // configured with a jar that cannot be read: the core cannot load, the raw connection stands
    ConnectBridge.configure(new ConnectBridge.Settings(null, null, Map.of()));
    try {
      assertSame(raw, ConnectBridge.connected(raw, BridgeProbe.class, "jdbc:postgresql://h/db", new Properties()));
      assertSame(raw, ConnectBridge.connected(raw, null, "jdbc:postgresql://h/db", null));
    } finally {
      ConnectBridge.configure(null);
    }
  }

  /** Stands for a Driver class: the bridge keys its cores on it. */
  static final class BridgeProbe {
  }
}
