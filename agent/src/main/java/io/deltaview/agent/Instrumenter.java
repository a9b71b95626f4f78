package io.deltaview.agent;

import static net.bytebuddy.matcher.ElementMatchers.declaresMethod;
import static net.bytebuddy.matcher.ElementMatchers.isAnnotatedWith;
import static net.bytebuddy.matcher.ElementMatchers.isAnnotation;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static net.bytebuddy.matcher.ElementMatchers.returns;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.deltaview.Consistency;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.IllegalClassFormatException;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.agent.builder.ResettableClassFileTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.annotation.AnnotationDescription;
import net.bytebuddy.description.annotation.AnnotationList;
import net.bytebuddy.description.enumeration.EnumerationDescription;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.dynamic.scaffold.TypeValidation;
import net.bytebuddy.matcher.ElementMatcher;
import net.bytebuddy.matcher.ElementMatchers;
import net.bytebuddy.utility.JavaModule;

/**
 * Installs the two transformations with Byte Buddy: pgjdbc's {@code Driver#connect} (its result goes through
 * {@link ConnectBridge}) and {@code @Incremental} methods ({@link IncrementalAdvice}). At JVM start the transformer
 * sits behind {@link Gate}; on a late attach it is installed with retransformation, so that classes already loaded
 * are reached too (advice is inlined, so no class changes shape). Either way a byte scan first drops every class
 * that is neither pgjdbc's Driver nor mentions {@code io/deltaview/Incremental}, and types are described from their
 * class files (pool first), never by loading or reflecting on them.
 */
final class Instrumenter {

  static final String DRIVER = "org.postgresql.Driver";
  static final String INCREMENTAL = "io.deltaview.Incremental";

  /** Packages never instrumented: the JDK, Byte Buddy, Deltaview's own code and common libraries. */
  private static final String[] IGNORED = {"java.", "javax.", "jdk.", "sun.", "com.sun.", "net.bytebuddy.",
      "io.deltaview.agent.", "io.deltaview.shaded.", "io.deltaview.driver.", "io.deltaview.engine.",
      "io.deltaview.rewriter.", "org.springframework.", "org.hibernate.", "org.apache.", "org.eclipse.",
      "org.jboss.", "com.zaxxer.", "org.slf4j.", "ch.qos.", "com.fasterxml.", "com.google.", "kotlin.", "scala.",
      "groovy.", "io.netty.", "io.micrometer.", "reactor.", "org.junit.", "org.glassfish.", "jakarta."};

  /** One advice per consistency, prepared once. */
  private static final Map<Consistency, Advice> ADVICE = new EnumMap<>(Consistency.class);

  static {
    for (Consistency c : Consistency.values()) {
      ADVICE.put(c, Advice.withCustomMapping().bind(IncrementalAdvice.ScopeConsistency.class, c)
          .to(IncrementalAdvice.class));
    }
  }

  private Instrumenter() {
  }

  /**
   * At JVM start: the transformer for {@link Gate} to delegate to. Nothing is loaded yet but the JDK, so there
   * is nothing to retransform.
   */
  static ClassFileTransformer transformer() {
    return builder(false).makeRaw();
  }

  /** Attached to a running JVM: installs and retransforms the relevant classes already loaded. */
  static void installLate(Instrumentation instrumentation) {
    builder(true).with(new Prefilter()).installOn(instrumentation);
  }

  /** {@code late}: retransform the relevant classes already loaded (only candidates from {@link Candidates}). */
  private static AgentBuilder builder(boolean late) {
    long start = System.nanoTime();
    Advice connect = Advice.to(DriverConnectAdvice.class);
    AgentLog.debug("advice prepared in " + (System.nanoTime() - start) / 1_000_000 + " ms");
    ElementMatcher.Junction<MethodDescription> connectMethod = named("connect")
        .and(takesArguments(String.class, Properties.class)).and(returns(named("java.sql.Connection")));
    AgentBuilder agent = new AgentBuilder.Default(new ByteBuddy().with(TypeValidation.DISABLED))
        .disableClassFormatChanges();
    if (late) {
      agent = agent.with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION).with(new Candidates());
    }
    return agent
        .with(AgentBuilder.DescriptionStrategy.Default.POOL_FIRST)
        .with(new Listener())
        .ignore(Instrumenter::ignored)
        .type(named(DRIVER))
        .transform((builder, type, loader, module, domain) -> {
          if (!bridgeVisibleFrom(loader)) {
            return builder;
          }
          return builder.visit(connect.on(connectMethod));
        })
        .type(not(isAnnotation()).and(isAnnotatedWith(named(INCREMENTAL))
            .or(declaresMethod(ElementMatchers.<MethodDescription>isAnnotatedWith(named(INCREMENTAL))))))
        .transform((builder, type, loader, module, domain) -> incremental(builder, type));
  }

  private static boolean ignored(TypeDescription type, ClassLoader loader, JavaModule module, Class<?> redefined,
      ProtectionDomain domain) {
    return loader == null || loader instanceof CoreClassLoader || ignoredName(type.getName());
  }

  static boolean ignoredName(String name) {
    for (String prefix : IGNORED) {
      if (name.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether pgjdbc's class loader resolves {@link ConnectBridge} to this very class (the inlined advice calls it
   * by name). If it cannot, or finds another copy, pgjdbc stays uninstrumented and one line says so.
   */
  static boolean bridgeVisibleFrom(ClassLoader loader) {
    try {
      if (Class.forName(ConnectBridge.class.getName(), false, loader) == ConnectBridge.class) {
        return true;
      }
      AgentLog.once("bridge " + loader, "pgjdbc's class loader " + loader + " sees another copy of "
          + ConnectBridge.class.getName() + " (is deltaview-agent.jar also on the application's class path?);"
          + " its connections stay plain pgjdbc");
    } catch (ClassNotFoundException | LinkageError e) {
      AgentLog.once("bridge " + loader, "pgjdbc's class loader " + loader + " does not delegate to the system"
          + " class loader, where the agent's classes are; its connections stay plain pgjdbc");
    }
    return false;
  }

  /** Adds the scope advice to each eligible method, with the consistency of its own or its class's annotation. */
  static DynamicType.Builder<?> incremental(DynamicType.Builder<?> builder, TypeDescription type) {
    Consistency typeLevel = consistencyOf(type.getDeclaredAnnotations());
    Map<Consistency, List<MethodDescription>> byConsistency = new EnumMap<>(Consistency.class);
    for (MethodDescription.InDefinedShape m : type.getDeclaredMethods()) {
      if (!m.isMethod() || m.isAbstract() || m.isNative() || m.isSynthetic() || m.isBridge()) {
        continue;
      }
      Consistency c = consistencyOf(m.getDeclaredAnnotations());
      if (c == null) {
        c = typeLevel;
      }
      if (c != null) {
        byConsistency.computeIfAbsent(c, k -> new ArrayList<>()).add(m);
      }
    }
    for (Map.Entry<Consistency, List<MethodDescription>> e : byConsistency.entrySet()) {
      builder = builder.visit(ADVICE.get(e.getKey()).on(ElementMatchers.anyOf(e.getValue())));
    }
    return builder;
  }

  /** The consistency of an {@code @Incremental} among {@code annotations}; null if there is none. */
  static Consistency consistencyOf(AnnotationList annotations) {
    for (AnnotationDescription a : annotations) {
      if (!a.getAnnotationType().getName().equals(INCREMENTAL)) {
        continue;
      }
      try {
        String name = a.getValue("consistency").resolve(EnumerationDescription.class).getValue();
        return Consistency.valueOf(name);
      } catch (RuntimeException e) {
        // the annotation's default (its type could not be read, or an unknown constant): the connection's own
        return Consistency.DEFAULT;
      }
    }
    return null;
  }

  /**
   * On a late attach, the loaded classes worth describing: not the JDK's or any ignored package's, nor the
   * bootstrap loader's or the core's. Byte Buddy then reads only these from their class files (no class loading,
   * no reflection on their members), which keeps the attach cheap and free of side effects.
   */
  static final class Candidates implements AgentBuilder.RedefinitionStrategy.DiscoveryStrategy {
    @Override
    public Iterable<Iterable<Class<?>>> resolve(Instrumentation instrumentation) {
      List<Class<?>> candidates = new ArrayList<>();
      for (Class<?> c : instrumentation.getAllLoadedClasses()) {
        ClassLoader loader = c.getClassLoader();
        if (loader != null && !(loader instanceof CoreClassLoader) && !c.isArray() && !c.isPrimitive()
            && !c.isHidden() && !ignoredName(c.getName()) && instrumentation.isModifiableClass(c)) {
          candidates.add(c);
        }
      }
      return List.of(candidates);
    }
  }

  /** Runs {@link Gate#relevant} before Byte Buddy parses anything. */
  static final class Prefilter implements AgentBuilder.TransformerDecorator {
    @Override
    public ResettableClassFileTransformer decorate(ResettableClassFileTransformer transformer) {
      return new ResettableClassFileTransformer.WithDelegation(transformer) {
        @Override
        public byte[] transform(ClassLoader loader, String name, Class<?> redefined, ProtectionDomain domain,
            byte[] classFile) throws IllegalClassFormatException {
          return name == null || !Gate.relevant(name, classFile) ? null
              : classFileTransformer.transform(loader, name, redefined, domain, classFile);
        }

        @Override
        public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined,
            ProtectionDomain domain, byte[] classFile) throws IllegalClassFormatException {
          return name == null || !Gate.relevant(name, classFile) ? null
              : classFileTransformer.transform(module, loader, name, redefined, domain, classFile);
        }
      };
    }
  }

  /** Reports a class that could not be instrumented, once per class; it then runs unchanged. */
  static final class Listener extends AgentBuilder.Listener.Adapter {
    @Override
    public void onError(String typeName, ClassLoader loader, JavaModule module, boolean loaded, Throwable error) {
      AgentLog.once("instrument " + typeName, "cannot instrument " + typeName + ": " + AgentLog.describe(error)
          + "; it runs unchanged" + (DRIVER.equals(typeName) ? ", and its connections stay plain pgjdbc" : ""));
    }

    @Override
    public void onTransformation(TypeDescription type, ClassLoader loader, JavaModule module, boolean loaded,
        DynamicType dynamicType) {
      AgentLog.debug("instrumented " + type.getName() + " (" + loader + ")");
    }
  }
}
