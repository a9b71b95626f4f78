package io.deltaview.agent;

import io.deltaview.Consistency;
import java.lang.instrument.ClassFileTransformer;
import java.nio.charset.StandardCharsets;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.bytebuddy.jar.asm.AnnotationVisitor;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.Label;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.Type;

/**
 * Turns {@code @io.deltaview.Incremental} methods into opt-in scopes, directly on the class file with ASM (the copy
 * Byte Buddy bundles, relocated in the agent jar). Every eligible method becomes, in effect:
 *
 * <pre>{@code
 * Scope scope;
 * try { scope = Deltaview.optIn(Consistency.X); } catch (Throwable t) { scope = null; }  // the method still runs
 * try {
 *   ...original body; before each return: try { scope.close(); } catch (Throwable t) { }  // result stands
 * } catch (Throwable t) {
 *   try { scope.close(); } catch (Throwable u) { }
 *   throw t;
 * }
 * }</pre>
 *
 * <p>Eligible: the methods of a class annotated with {@code @Incremental}, or annotated themselves (the method's
 * annotation wins), that are neither abstract, native, synthetic, bridges, constructors nor initialisers.
 *
 * <p>Why it is written this way: the transformation must be cheap enough to run synchronously at class load (no
 * background build, nothing to wait for), so it never computes stack map frames (ASM's {@code COMPUTE_FRAMES} would
 * load classes to find common super types) and never analyses the method's data flow. Instead:
 * <ul>
 *   <li>The scope lives in a new local at the method's original {@code max_locals}, so no existing instruction,
 *       local variable table entry or frame changes meaning; the method's own frames (read expanded) only gain the
 *       scope local at that slot.</li>
 *   <li>Every frame the agent writes itself is fully known without analysis: the entry frames hold just the
 *       arguments; the handler frames declare every original local {@code TOP} (nothing after them reads one) and
 *       only the scope, and where needed the saved return value or throwable, above them.</li>
 *   <li>Closing before a return has no branch (a null check would need a frame describing the locals at that
 *       return, which only data-flow analysis knows): the return value is saved, {@code close()} runs under a
 *       handler of its own that swallows what it throws, including the {@code NullPointerException} of a scope that
 *       could not be opened, and both paths return the saved value. Those handlers come first in the exception
 *       table, so that the method's own handlers never see an exception of the agent's code; the catch-all around
 *       the body comes last, so that the method's own handlers keep precedence for its own exceptions.</li>
 *   <li>No fields or methods are added (retransformation forbids it) and the calls go straight to the
 *       {@code Deltaview} api the annotated class itself sees, so a class loader with its own api copy stays
 *       consistent with the core.</li>
 * </ul>
 *
 * <p>Class files before version 50 get no frames (their verifier infers types); methods using {@code jsr}/{@code ret}
 * subroutines (only possible before version 51) are left unchanged, with one line. Any failure leaves the class
 * unchanged, with one line.
 */
final class IncrementalTransformer implements ClassFileTransformer {

  /** {@code Lio/deltaview/Incremental;}, built at run time so that this class file does not contain it. */
  static final String INCREMENTAL_DESCRIPTOR = "L" + "io.deltaview.Incremental".replace('.', '/') + ";";
  private static final byte[] INCREMENTAL_BYTES = INCREMENTAL_DESCRIPTOR.getBytes(StandardCharsets.US_ASCII);

  private static final String DELTAVIEW = "io/deltaview/Deltaview";
  private static final String SCOPE = "io/deltaview/Deltaview$Scope";
  private static final String CONSISTENCY = "io/deltaview/Consistency";
  private static final String THROWABLE = "java/lang/Throwable";
  private static final String OPT_IN_DESCRIPTOR = "(L" + CONSISTENCY + ";)L" + SCOPE + ";";
  private static final int SKIPPED_ACCESS =
      Opcodes.ACC_ABSTRACT | Opcodes.ACC_NATIVE | Opcodes.ACC_SYNTHETIC | Opcodes.ACC_BRIDGE;
  /** Slots the transformation adds above {@code max_locals}: the scope and a saved long or double. */
  private static final int ADDED_SLOTS = 3;

  @Override
  public byte[] transform(ClassLoader loader, String name, Class<?> redefined, ProtectionDomain domain,
      byte[] classFile) {
    // the name test first: the agent's own classes (ignored) must pass without resolving any other class
    if (loader == null || name == null || Instrumenter.ignored(name) || loader instanceof CoreClassLoader
        || !mentionsIncremental(classFile)) {
      return null;
    }
    try {
      long start = System.nanoTime();
      byte[] transformed = instrument(classFile);
      if (transformed != null) {
        AgentLog.debug("instrumented " + name.replace('/', '.') + " (" + loader + ") in "
            + (System.nanoTime() - start) / 1_000 + " µs");
      }
      return transformed;
    } catch (Throwable e) {
      AgentLog.once("instrument " + name, "cannot instrument " + name.replace('/', '.') + ": "
          + AgentLog.describe(e) + "; it runs unchanged");
      return null;
    }
  }

  /** The byte scan that keeps every other class away from ASM: a few microseconds per class. */
  static boolean mentionsIncremental(byte[] classFile) {
    return contains(classFile, INCREMENTAL_BYTES);
  }

  static boolean contains(byte[] haystack, byte[] needle) {
    byte first = needle[0];
    int last = haystack.length - needle.length;
    outer:
    for (int i = 0; i <= last; i++) {
      if (haystack[i] != first) {
        continue;
      }
      for (int j = 1; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /**
   * The class file with scopes around its eligible methods, or null when it has none. Two passes: the first
   * reads the annotations and, per method, what the rewrite must know before it starts (its {@code max_locals}
   * and number of returns); the second rewrites only the eligible methods, the others are copied as they are.
   */
  static byte[] instrument(byte[] classFile) {
    ClassReader reader = new ClassReader(classFile);
    Survey survey = new Survey();
    reader.accept(survey, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
    Map<String, Plan> plans = survey.plans();
    if (plans.isEmpty()) {
      return null;
    }
    // COMPUTE_MAXS only: max stack and locals are recomputed from the instructions; frames are never computed
    ClassWriter writer = new ClassWriter(reader, ClassWriter.COMPUTE_MAXS);
    boolean frames = survey.version >= Opcodes.V1_6;
    reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
      @Override
      public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
          String[] exceptions) {
        MethodVisitor mv = super.visitMethod(access, name, descriptor, signature, exceptions);
        Plan plan = plans.get(name + descriptor);
        return plan == null ? mv : new ScopeMethod(mv, survey.name, access, descriptor, plan, frames);
      }
    }, ClassReader.EXPAND_FRAMES);
    return writer.toByteArray();
  }

  /** What the rewrite of one method needs: the scope's consistency, the method's max_locals and its returns. */
  record Plan(Consistency consistency, int maxLocals, int returns) {
  }

  /** The consistency named by an {@code @Incremental} annotation; its default if absent or unknown. */
  private static final class ConsistencyReader extends AnnotationVisitor {
    Consistency consistency = Consistency.DEFAULT;

    ConsistencyReader() {
      super(Opcodes.ASM9);
    }

    @Override
    public void visitEnum(String name, String descriptor, String value) {
      if ("consistency".equals(name)) {
        try {
          consistency = Consistency.valueOf(value);
        } catch (IllegalArgumentException e) {
          // a constant this api does not know (a newer annotation): the connection's own consistency
          consistency = Consistency.DEFAULT;
        }
      }
    }
  }

  /** The first pass: annotations, and per method its access, max_locals, returns and use of subroutines. */
  private static final class Survey extends ClassVisitor {
    int version;
    String name;
    private boolean annotationType;
    private ConsistencyReader classLevel;
    private final List<MethodSurvey> methods = new ArrayList<>();

    Survey() {
      super(Opcodes.ASM9);
    }

    @Override
    public void visit(int version, int access, String name, String signature, String superName,
        String[] interfaces) {
      this.version = version & 0xFFFF;
      this.name = name;
      annotationType = (access & (Opcodes.ACC_ANNOTATION | Opcodes.ACC_MODULE)) != 0;
    }

    @Override
    public AnnotationVisitor visitAnnotation(String descriptor, boolean visible) {
      if (INCREMENTAL_DESCRIPTOR.equals(descriptor)) {
        classLevel = new ConsistencyReader();
        return classLevel;
      }
      return null;
    }

    @Override
    public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
        String[] exceptions) {
      if ((access & SKIPPED_ACCESS) != 0 || name.equals("<init>") || name.equals("<clinit>")) {
        return null;
      }
      MethodSurvey m = new MethodSurvey(name, descriptor);
      methods.add(m);
      return m;
    }

    Map<String, Plan> plans() {
      Map<String, Plan> plans = new HashMap<>();
      if (annotationType) {
        return plans;
      }
      for (MethodSurvey m : methods) {
        ConsistencyReader annotation = m.annotation != null ? m.annotation : classLevel;
        if (annotation == null) {
          continue;
        }
        String method = name.replace('/', '.') + "." + m.name + m.descriptor;
        if (m.subroutines) {
          AgentLog.once("instrument " + method, "cannot instrument " + method + ": it uses jsr/ret subroutines"
              + " (an old class file); it runs unchanged, without an opt-in scope");
        } else if (m.maxLocals + ADDED_SLOTS > 0xFFFF) {
          AgentLog.once("instrument " + method, "cannot instrument " + method + ": too many locals; it runs"
              + " unchanged, without an opt-in scope");
        } else {
          plans.put(m.name + m.descriptor, new Plan(annotation.consistency, m.maxLocals, m.returns));
        }
      }
      return plans;
    }
  }

  private static final class MethodSurvey extends MethodVisitor {
    final String name;
    final String descriptor;
    ConsistencyReader annotation;
    int maxLocals;
    int returns;
    boolean subroutines;

    MethodSurvey(String name, String descriptor) {
      super(Opcodes.ASM9);
      this.name = name;
      this.descriptor = descriptor;
    }

    @Override
    public AnnotationVisitor visitAnnotation(String descriptor, boolean visible) {
      if (INCREMENTAL_DESCRIPTOR.equals(descriptor)) {
        annotation = new ConsistencyReader();
        return annotation;
      }
      return null;
    }

    @Override
    public void visitInsn(int opcode) {
      if (opcode >= Opcodes.IRETURN && opcode <= Opcodes.RETURN) {
        returns++;
      }
    }

    @Override
    public void visitJumpInsn(int opcode, Label label) {
      subroutines |= opcode == Opcodes.JSR;
    }

    @Override
    public void visitVarInsn(int opcode, int var) {
      subroutines |= opcode == Opcodes.RET;
    }

    @Override
    public void visitMaxs(int maxStack, int maxLocals) {
      this.maxLocals = maxLocals;
    }
  }

  /**
   * The second pass over one eligible method (frames read expanded). Emits the scope's opening in
   * {@link #visitCode}, a guarded close before each return, and the catch-all handler in {@link #visitMaxs}.
   */
  private static final class ScopeMethod extends MethodVisitor {
    private final Plan plan;
    private final boolean frames;
    private final Type returnType;
    /** The locals at entry (this and the arguments), as frame entries. */
    private final List<Object> arguments = new ArrayList<>();
    private final int scope;
    private final Label enterStart = new Label();
    private final Label enterEnd = new Label();
    private final Label enterHandler = new Label();
    private final Label bodyStart = new Label();
    private final Label[] closeStart;
    private final Label[] closeEnd;
    private final Label[] closeHandler;
    private int returnsSeen;

    ScopeMethod(MethodVisitor mv, String owner, int access, String descriptor, Plan plan, boolean frames) {
      super(Opcodes.ASM9, mv);
      this.plan = plan;
      this.frames = frames;
      this.returnType = Type.getReturnType(descriptor);
      this.scope = plan.maxLocals();
      if ((access & Opcodes.ACC_STATIC) == 0) {
        arguments.add(owner);
      }
      for (Type t : Type.getArgumentTypes(descriptor)) {
        arguments.add(frameType(t));
      }
      closeStart = labels(plan.returns());
      closeEnd = labels(plan.returns());
      closeHandler = labels(plan.returns());
    }

    private static Label[] labels(int n) {
      Label[] labels = new Label[n];
      for (int i = 0; i < n; i++) {
        labels[i] = new Label();
      }
      return labels;
    }

    /** A value of type {@code t} as a frame entry (ints of every width are INTEGER, references by name). */
    private static Object frameType(Type t) {
      return switch (t.getSort()) {
        case Type.BOOLEAN, Type.BYTE, Type.CHAR, Type.SHORT, Type.INT -> Opcodes.INTEGER;
        case Type.FLOAT -> Opcodes.FLOAT;
        case Type.LONG -> Opcodes.LONG;
        case Type.DOUBLE -> Opcodes.DOUBLE;
        default -> t.getInternalName(); // objects by internal name, arrays by descriptor
      };
    }

    @Override
    public void visitCode() {
      super.visitCode();
      // The agent's handlers go first in the exception table (the method's own entries are visited after this):
      // an exception of the agent's code must never reach one of the method's handlers.
      super.visitTryCatchBlock(enterStart, enterEnd, enterHandler, THROWABLE);
      for (int i = 0; i < closeStart.length; i++) {
        super.visitTryCatchBlock(closeStart[i], closeEnd[i], closeHandler[i], THROWABLE);
      }
      // scope = Deltaview.optIn(Consistency.X), or null if that throws: the method runs either way
      super.visitLabel(enterStart);
      super.visitFieldInsn(Opcodes.GETSTATIC, CONSISTENCY, plan.consistency().name(), "L" + CONSISTENCY + ";");
      super.visitMethodInsn(Opcodes.INVOKESTATIC, DELTAVIEW, "optIn", OPT_IN_DESCRIPTOR, false);
      super.visitVarInsn(Opcodes.ASTORE, scope);
      super.visitLabel(enterEnd);
      super.visitJumpInsn(Opcodes.GOTO, bodyStart);
      super.visitLabel(enterHandler);
      frame(arguments, THROWABLE);
      super.visitInsn(Opcodes.POP);
      super.visitInsn(Opcodes.ACONST_NULL);
      super.visitVarInsn(Opcodes.ASTORE, scope);
      super.visitLabel(bodyStart);
      List<Object> entered = new ArrayList<>(arguments);
      padTo(entered, scope);
      entered.add(SCOPE);
      frame(entered, null);
      // The method's first instruction may carry a frame of its own (a loop at the very start), and two frames
      // cannot share an offset: one byte keeps them apart.
      super.visitInsn(Opcodes.NOP);
    }

    @Override
    public void visitFrame(int type, int numLocal, Object[] local, int numStack, Object[] stack) {
      // expanded (F_NEW) frames: the same locals, plus the scope at its slot above them
      List<Object> locals = new ArrayList<>(numLocal + 8);
      for (int i = 0; i < numLocal; i++) {
        locals.add(local[i]);
      }
      padTo(locals, scope);
      locals.add(SCOPE);
      super.visitFrame(type, locals.size(), locals.toArray(), numStack, stack);
    }

    @Override
    public void visitInsn(int opcode) {
      if (opcode < Opcodes.IRETURN || opcode > Opcodes.RETURN) {
        super.visitInsn(opcode);
        return;
      }
      if (returnsSeen >= closeStart.length) {
        throw new IllegalStateException("more returns than the first pass counted");
      }
      int i = returnsSeen++;
      int saved = scope + 1;
      Object savedType = null;
      if (opcode != Opcodes.RETURN) {
        savedType = frameType(returnType);
        super.visitVarInsn(returnType.getOpcode(Opcodes.ISTORE), saved);
      }
      super.visitLabel(closeStart[i]);
      closeScope();
      super.visitLabel(closeEnd[i]);
      returnSaved(opcode, saved);
      // what close() throws (or a null scope's NullPointerException) is dropped: the method's result stands
      super.visitLabel(closeHandler[i]);
      List<Object> locals = tops(scope);
      locals.add(SCOPE);
      if (savedType != null) {
        locals.add(savedType);
      }
      frame(locals, THROWABLE);
      super.visitInsn(Opcodes.POP);
      returnSaved(opcode, saved);
    }

    private void returnSaved(int opcode, int saved) {
      if (opcode != Opcodes.RETURN) {
        super.visitVarInsn(returnType.getOpcode(Opcodes.ILOAD), saved);
      }
      super.visitInsn(opcode);
    }

    private void closeScope() {
      super.visitVarInsn(Opcodes.ALOAD, scope);
      super.visitMethodInsn(Opcodes.INVOKEVIRTUAL, SCOPE, "close", "()V", false);
    }

    @Override
    public void visitMaxs(int maxStack, int maxLocals) {
      if (returnsSeen != closeStart.length) {
        throw new IllegalStateException("fewer returns than the first pass counted");
      }
      // catch (Throwable t) { try { scope.close(); } catch (Throwable u) { } throw t; } around the whole body,
      // last in the exception table so that the method's own handlers keep precedence
      Label bodyEnd = new Label();
      Label handler = new Label();
      Label guardStart = new Label();
      Label guardEnd = new Label();
      Label guardHandler = new Label();
      int thrown = scope + 1;
      super.visitLabel(bodyEnd);
      super.visitLabel(handler);
      List<Object> locals = tops(scope);
      locals.add(SCOPE);
      frame(locals, THROWABLE);
      super.visitVarInsn(Opcodes.ASTORE, thrown);
      super.visitLabel(guardStart);
      closeScope();
      super.visitLabel(guardEnd);
      super.visitVarInsn(Opcodes.ALOAD, thrown);
      super.visitInsn(Opcodes.ATHROW);
      super.visitLabel(guardHandler);
      locals.add(THROWABLE);
      frame(locals, THROWABLE);
      super.visitInsn(Opcodes.POP);
      super.visitVarInsn(Opcodes.ALOAD, thrown);
      super.visitInsn(Opcodes.ATHROW);
      super.visitTryCatchBlock(bodyStart, bodyEnd, handler, THROWABLE);
      super.visitTryCatchBlock(guardStart, guardEnd, guardHandler, THROWABLE);
      super.visitMaxs(maxStack, maxLocals); // recomputed (COMPUTE_MAXS)
    }

    /** Writes an expanded frame, unless the class file predates stack map frames. */
    private void frame(List<Object> locals, String stackTop) {
      if (frames) {
        Object[] stack = stackTop == null ? new Object[0] : new Object[] {stackTop};
        super.visitFrame(Opcodes.F_NEW, locals.size(), locals.toArray(), stack.length, stack);
      }
    }

    /** Frame entries declaring slots {@code 0..slots-1} unused. */
    private static List<Object> tops(int slots) {
      List<Object> locals = new ArrayList<>(slots + 2);
      for (int i = 0; i < slots; i++) {
        locals.add(Opcodes.TOP);
      }
      return locals;
    }

    /** Appends TOP entries until the frame entries {@code locals} cover {@code slots} slots. */
    private static void padTo(List<Object> locals, int slots) {
      int used = 0;
      for (Object o : locals) {
        used += o == Opcodes.LONG || o == Opcodes.DOUBLE ? 2 : 1;
      }
      if (used > slots) {
        throw new IllegalStateException("a frame holds more locals than max_locals");
      }
      for (; used < slots; used++) {
        locals.add(Opcodes.TOP);
      }
    }
  }
}
