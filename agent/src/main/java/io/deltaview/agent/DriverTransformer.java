package io.deltaview.agent;

import java.lang.instrument.ClassFileTransformer;
import java.security.ProtectionDomain;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.Type;

/**
 * Instruments pgjdbc's {@code org.postgresql.Driver#connect(String, Properties)}: before each {@code areturn} the
 * returned connection goes through {@link ConnectBridge#connected}, together with the URL, the properties and the
 * Driver class (which selects that pgjdbc's core), and what comes back is returned instead:
 *
 * <pre>{@code return ConnectBridge.connected(<result>, Driver.class, url, info);}</pre>
 *
 * <p>Written directly with ASM (the copy Byte Buddy bundles, relocated in the agent jar) so that it is cheap enough
 * to run synchronously when pgjdbc loads. The inserted code has no branches and no locals, so the method's stack map
 * frames stay valid as they are and only the maximum stack is recomputed ({@code COMPUTE_MAXS}; never
 * {@code COMPUTE_FRAMES}, which would load classes). The bridge is declared to return {@code java.sql.Connection}, so
 * the verifier needs no cast, and it never throws (pgjdbc's own result stands on any failure inside it).
 *
 * <p>A pgjdbc whose class loader does not resolve {@link ConnectBridge} to the agent's class is left alone, with one
 * line; so is any class file the transformation fails on.
 */
final class DriverTransformer implements ClassFileTransformer {

  static final String DRIVER = "org/postgresql/Driver";
  static final String CONNECT = "connect";
  static final String CONNECT_DESCRIPTOR = "(Ljava/lang/String;Ljava/util/Properties;)Ljava/sql/Connection;";
  private static final String BRIDGE = Type.getInternalName(ConnectBridge.class);
  private static final String BRIDGE_DESCRIPTOR =
      "(Ljava/sql/Connection;Ljava/lang/Class;Ljava/lang/String;Ljava/util/Properties;)Ljava/sql/Connection;";

  @Override
  public byte[] transform(ClassLoader loader, String name, Class<?> redefined, ProtectionDomain domain,
      byte[] classFile) {
    if (loader == null || !DRIVER.equals(name) || loader instanceof CoreClassLoader
        || !Instrumenter.bridgeVisibleFrom(loader)) {
      return null;
    }
    try {
      long start = System.nanoTime();
      byte[] transformed = instrument(classFile);
      if (transformed == null) {
        AgentLog.once("instrument " + name + " " + loader, "pgjdbc's org.postgresql.Driver in " + loader
            + " has no connect(String, Properties) returning java.sql.Connection; its connections stay plain pgjdbc");
      } else {
        AgentLog.debug("instrumented org.postgresql.Driver (" + loader + ") in "
            + (System.nanoTime() - start) / 1_000 + " µs");
      }
      return transformed;
    } catch (Throwable e) {
      AgentLog.once("instrument " + name + " " + loader, "cannot instrument org.postgresql.Driver in " + loader
          + ": " + AgentLog.describe(e) + "; it runs unchanged, and its connections stay plain pgjdbc");
      return null;
    }
  }

  /** The Driver's class file with {@code connect}'s results going through the bridge; null if it has no connect. */
  static byte[] instrument(byte[] classFile) {
    ClassReader reader = new ClassReader(classFile);
    if ((reader.readUnsignedShort(6)) < Opcodes.V1_5) {
      // LDC of a class constant, which hands the bridge the Driver class, needs class file version 49
      throw new IllegalArgumentException("class file version " + reader.readUnsignedShort(6) + " is too old");
    }
    ClassWriter writer = new ClassWriter(reader, ClassWriter.COMPUTE_MAXS);
    boolean[] found = new boolean[1];
    reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
      @Override
      public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
          String[] exceptions) {
        MethodVisitor mv = super.visitMethod(access, name, descriptor, signature, exceptions);
        if (!CONNECT.equals(name) || !CONNECT_DESCRIPTOR.equals(descriptor)
            || (access & (Opcodes.ACC_STATIC | Opcodes.ACC_ABSTRACT | Opcodes.ACC_NATIVE)) != 0) {
          return mv;
        }
        found[0] = true;
        return new MethodVisitor(Opcodes.ASM9, mv) {
          @Override
          public void visitInsn(int opcode) {
            if (opcode == Opcodes.ARETURN) {
              // stack: ..., connection -> ..., ConnectBridge.connected(connection, Driver.class, url, info)
              super.visitLdcInsn(Type.getObjectType(DRIVER));
              super.visitVarInsn(Opcodes.ALOAD, 1);
              super.visitVarInsn(Opcodes.ALOAD, 2);
              super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "connected", BRIDGE_DESCRIPTOR, false);
            }
            super.visitInsn(opcode);
          }
        };
      }
    }, 0);
    return found[0] ? writer.toByteArray() : null;
  }
}
