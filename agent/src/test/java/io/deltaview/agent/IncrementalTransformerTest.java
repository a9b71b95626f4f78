package io.deltaview.agent;

import static io.deltaview.agent.TransformerTestSupport.call;
import static io.deltaview.agent.TransformerTestSupport.classFile;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.Consistency;
import io.deltaview.Deltaview;
import io.deltaview.agent.TransformerFixtures.Annotated;
import io.deltaview.agent.TransformerFixtures.OldStyle;
import io.deltaview.agent.TransformerFixtures.OneMethod;
import io.deltaview.agent.TransformerFixtures.WithDefaults;
import io.deltaview.agent.TransformerFixtures.WithoutApi;
import io.deltaview.agent.TransformerTestSupport.Throwaway;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import net.bytebuddy.jar.asm.AnnotationVisitor;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.Label;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link IncrementalTransformer} without an agent: a fixture's class file is transformed, defined in a throwaway
 * class loader (linked at once, so the JVM's verifier checks the frames the transformer wrote), and its methods are
 * called, checking {@link Deltaview#currentOptIn()} inside and after.
 */
class IncrementalTransformerTest {

  @AfterEach
  void noScopeLeftOpen() {
    assertNull(Deltaview.currentOptIn(), "a scope was left open on the test thread");
  }

  static Class<?> instrumented(Class<?> type) throws Exception {
    byte[] transformed = IncrementalTransformer.instrument(classFile(type));
    assertNotNull(transformed, type + " was not transformed");
    return new Throwaway(type.getClassLoader()).define(type.getName(), transformed);
  }

  @Test
  void scopesFollowTheMethodOrClassAnnotation() throws Exception {
    Class<?> type = instrumented(Annotated.class);
    assertEquals(Consistency.STRONG, call(type, null, "inherited"));
    assertEquals(Consistency.EVENTUAL, call(type, null, "overridden"));
    assertEquals(Consistency.DEFAULT, call(type, null, "byDefault"));
    Object instance = type.getConstructor().newInstance();
    assertEquals(Consistency.STRONG, ((Callable<?>) instance).call());
    assertEquals("constructor ran outside a scope: null", call(type, instance, "name"));
    assertEquals(Consistency.STRONG, call(type, null, "synchronizedMethod"));
  }

  @Test
  void everyKindOfReturnValueAndArgumentSurvives() throws Exception {
    Class<?> type = instrumented(Annotated.class);
    Object instance = type.getConstructor().newInstance();
    assertEquals("STRONG 6 4.5 x false", call(type, instance, "instance", 3L, 1.5d, 3, "x"));
    assertEquals(5_000_000_000_007L, call(type, null, "wideLong", 5_000_000_000L, 5));
    assertEquals(2.25d, call(type, null, "wideDouble", 0.25d));
    assertEquals(2.5f, call(type, null, "narrowFloat", 0.5f));
    assertEquals(true, call(type, null, "bool"));
    assertArrayEquals(new int[] {2, 0}, (int[]) call(type, null, "array", 2));
    List<Object> out = new ArrayList<>();
    call(type, null, "voidMethod", out);
    assertEquals(List.of(Consistency.STRONG, "end"), out);
    assertEquals(82, call(type, null, "loopFirst", 20));
  }

  @Test
  void anExceptionClosesTheScopeAndPropagatesUnchanged() throws Exception {
    Class<?> type = instrumented(Annotated.class);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> call(type, null, "throwing"));
    assertEquals("inside STRONG", e.getMessage());
    assertNull(Deltaview.currentOptIn());
    UnsupportedOperationException deep =
        assertThrows(UnsupportedOperationException.class, () -> call(type, null, "deep", 25));
    assertEquals("bottom STRONG", deep.getMessage());
  }

  @Test
  void tryCatchInsideTheBodyAndNestedScopesBehave() throws Exception {
    Class<?> type = instrumented(Annotated.class);
    int before = type.getField("counter").getInt(null);
    assertEquals("try 3 STRONG", call(type, null, "tryCatchInside", false));
    assertEquals("catch planned STRONG", call(type, null, "tryCatchInside", true));
    assertEquals(before + 2, type.getField("counter").getInt(null), "the method's own finally ran");
    assertEquals("STRONG/EVENTUAL/STRONG", call(type, null, "nested"));
    assertEquals("bottom STRONG then STRONG", call(type, null, "catchesNested"));
  }

  @Test
  void scopesNestInsideAnOuterScopeAndRestoreIt() throws Exception {
    Class<?> type = instrumented(Annotated.class);
    try (Deltaview.Scope outer = Deltaview.optIn(Consistency.EVENTUAL)) {
      assertEquals(Consistency.STRONG, call(type, null, "inherited"));
      assertThrows(IllegalStateException.class, () -> call(type, null, "throwing"));
      assertEquals(Consistency.EVENTUAL, Deltaview.currentOptIn());
    }
  }

  @Test
  void unmarkedMethodsOfAnUnmarkedClassStayUnmarked() throws Exception {
    Class<?> type = instrumented(OneMethod.class);
    assertEquals(Consistency.DEFAULT, call(type, null, "marked"));
    assertNull(call(type, null, "unmarked"));
  }

  @Test
  void interfaceDefaultAndStaticMethodsAreScoped() throws Exception {
    Class<?> type = instrumented(WithDefaults.class);
    Object impl = java.lang.reflect.Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
        (proxy, method, args) -> method.isDefault()
            ? java.lang.reflect.InvocationHandler.invokeDefault(proxy, method, args) : Deltaview.currentOptIn());
    assertEquals(Consistency.EVENTUAL, call(type, impl, "byDefault"));
    assertNull(call(type, impl, "plain"), "the abstract method is not instrumented");
    assertEquals(Consistency.EVENTUAL, call(type, null, "statically"));
  }

  /** The api is invisible to the class's loader: the scope cannot open, and the method still runs unchanged. */
  @Test
  void aScopeThatCannotOpenLeavesTheMethodRunning() throws Exception {
    Throwaway loader = new Throwaway(WithoutApi.class.getClassLoader(),
        Set.of("io.deltaview.Deltaview", "io.deltaview.Deltaview$Scope"));
    Class<?> type = loader.define(WithoutApi.class.getName(),
        IncrementalTransformer.instrument(classFile(WithoutApi.class)));
    assertEquals("try", call(type, null, "returnInsideTry"), "the agent's failure reached the method's handler");
    assertEquals(8L, call(type, null, "wide", 7L));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> call(type, null, "throwing"));
    assertEquals("own exception", e.getMessage());
  }

  /** Version 49 (no stack map frames, verified by type inference), as older compilers wrote. */
  @Test
  void oldClassFilesWithoutFramesAreInstrumented() throws Exception {
    byte[] old = downgrade(classFile(OldStyle.class), Opcodes.V1_5);
    assertEquals(Opcodes.V1_5, new ClassReader(old).readUnsignedShort(6));
    Class<?> type = new Throwaway(OldStyle.class.getClassLoader())
        .define(OldStyle.class.getName(), IncrementalTransformer.instrument(old));
    assertEquals(Consistency.STRONG, call(type, null, "value"));
    assertEquals(13L, call(type, null, "wide", 10L, 0.5d));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> call(type, null, "throwing"));
    assertEquals("STRONG", e.getMessage());
  }

  /** jsr/ret subroutines (only before version 51): that method is left as it is, the others are instrumented. */
  @Test
  void methodsWithSubroutinesAreLeftUnchanged() throws Exception {
    String name = "io.deltaview.agent.generated.WithSubroutine";
    Class<?> type = new Throwaway(getClass().getClassLoader())
        .define(name, IncrementalTransformer.instrument(withSubroutine(name.replace('.', '/'))));
    assertNull(call(type, null, "withJsr"));
    assertEquals(Consistency.DEFAULT, call(type, null, "plain"));
  }

  @Test
  void onlyClassFilesMentioningTheAnnotationAreParsed() throws Exception {
    assertTrue(IncrementalTransformer.mentionsIncremental(classFile(OneMethod.class)));
    assertTrue(IncrementalTransformer.mentionsIncremental(classFile(Annotated.class)));
    assertFalse(IncrementalTransformer.mentionsIncremental(classFile(IncrementalTransformerTest.class)));
    // the agent's own classes must never mention it (they are ignored by package too)
    for (Class<?> own : new Class<?>[] {IncrementalTransformer.class, DriverTransformer.class, Instrumenter.class,
        DeltaviewAgent.class, ConnectBridge.class, Core.class, CoreClassLoader.class, AgentOptions.class,
        AgentLog.class}) {
      assertFalse(IncrementalTransformer.mentionsIncremental(classFile(own)), own.getName());
    }
    assertFalse(IncrementalTransformer.contains(new byte[] {1, 2}, new byte[] {1, 2, 3}));
    assertTrue(IncrementalTransformer.contains(new byte[] {0, 1, 2, 3}, new byte[] {2, 3}));

    IncrementalTransformer t = new IncrementalTransformer();
    byte[] annotated = classFile(Annotated.class);
    String internal = "com/example/Annotated"; // the fixture's real package, the agent's own, is ignored
    assertNotNull(t.transform(getClass().getClassLoader(), internal, null, null, annotated));
    assertNull(t.transform(null, internal, null, null, annotated), "the bootstrap loader's classes");
    assertNull(t.transform(getClass().getClassLoader(), "org/springframework/X", null, null, annotated),
        "ignored packages");
    assertNull(t.transform(getClass().getClassLoader(), Annotated.class.getName().replace('.', '/'), null, null,
        annotated), "the agent's own package");
    assertNull(t.transform(getClass().getClassLoader(), internal, null, null, classFile(getClass())));
    assertNull(t.transform(getClass().getClassLoader(), "x/Broken", null, null,
        IncrementalTransformer.INCREMENTAL_DESCRIPTOR.getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
        "a class file it cannot read runs unchanged");
  }

  /**
   * The verification test: every fixture, transformed, passes the JVM's own verifier when linked (stack map
   * frames for current class files, type inference for version 49), and the verifier does run in this JVM: a
   * class whose method returns an int as an Object is rejected.
   */
  @Test
  void everyTransformedFixturePassesTheVerifier() throws Exception {
    for (Class<?> fixture : List.of(Annotated.class, OneMethod.class, WithDefaults.class, WithoutApi.class,
        OldStyle.class)) {
      byte[] transformed = IncrementalTransformer.instrument(classFile(fixture));
      Class<?> type = new Throwaway(fixture.getClassLoader()).define(fixture.getName(), transformed);
      assertEquals(fixture.getName(), type.getName());
    }
    byte[] old = IncrementalTransformer.instrument(downgrade(classFile(OldStyle.class), Opcodes.V1_4));
    new Throwaway(OldStyle.class.getClassLoader()).define(OldStyle.class.getName(), old);

    ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
    cw.visit(Opcodes.V1_8, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, "gen/Bad", null, "java/lang/Object", null);
    MethodVisitor bad = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "bad", "()Ljava/lang/Object;",
        null, null);
    bad.visitCode();
    bad.visitInsn(Opcodes.ICONST_0);
    bad.visitInsn(Opcodes.ARETURN);
    bad.visitMaxs(0, 0);
    bad.visitEnd();
    cw.visitEnd();
    assertThrows(VerifyError.class, () -> new Throwaway(getClass().getClassLoader()).define("gen.Bad",
        cw.toByteArray()), "this JVM does not verify classes of application class loaders");
  }

  /** Rewrites a class file to an older version, dropping what that version cannot have (frames, nest attributes). */
  static byte[] downgrade(byte[] classFile, int version) {
    ClassWriter writer = new ClassWriter(0);
    new ClassReader(classFile).accept(new ClassVisitor(Opcodes.ASM9, writer) {
      @Override
      public void visit(int v, int access, String name, String signature, String superName, String[] interfaces) {
        super.visit(version, access, name, signature, superName, interfaces);
      }

      @Override
      public void visitNestHost(String nestHost) {
      }

      @Override
      public void visitNestMember(String nestMember) {
      }
    }, ClassReader.SKIP_FRAMES);
    return writer.toByteArray();
  }

  /**
   * A version 49 class annotated {@code @Incremental} with {@code withJsr()}, which returns the current opt-in
   * after a jsr to an empty subroutine, and {@code plain()}, which returns it directly.
   */
  static byte[] withSubroutine(String internalName) {
    ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
    cw.visit(Opcodes.V1_5, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, internalName, null, "java/lang/Object", null);
    AnnotationVisitor av = cw.visitAnnotation(IncrementalTransformer.INCREMENTAL_DESCRIPTOR, true);
    av.visitEnd();
    String current = "()Lio/deltaview/Consistency;";
    MethodVisitor jsr = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "withJsr", "()Ljava/lang/Object;",
        null, null);
    jsr.visitCode();
    Label sub = new Label();
    jsr.visitJumpInsn(Opcodes.JSR, sub);
    jsr.visitMethodInsn(Opcodes.INVOKESTATIC, "io/deltaview/Deltaview", "currentOptIn", current, false);
    jsr.visitInsn(Opcodes.ARETURN);
    jsr.visitLabel(sub);
    jsr.visitVarInsn(Opcodes.ASTORE, 0);
    jsr.visitVarInsn(Opcodes.RET, 0);
    jsr.visitMaxs(0, 0);
    jsr.visitEnd();
    MethodVisitor plain = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "plain", "()Ljava/lang/Object;",
        null, null);
    plain.visitCode();
    plain.visitMethodInsn(Opcodes.INVOKESTATIC, "io/deltaview/Deltaview", "currentOptIn", current, false);
    plain.visitInsn(Opcodes.ARETURN);
    plain.visitMaxs(0, 0);
    plain.visitEnd();
    cw.visitEnd();
    return cw.toByteArray();
  }
}
