package io.deltaview.agent;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Set;

/** Class files of test classes, throwaway class loaders to define transformed copies in, reflective calls. */
final class TransformerTestSupport {

  private TransformerTestSupport() {
  }

  static byte[] classFile(Class<?> type) throws IOException {
    try (InputStream in = type.getClassLoader().getResourceAsStream(type.getName().replace('.', '/') + ".class")) {
      return in.readAllBytes();
    }
  }

  /**
   * A child of the test's class loader that defines given class files itself and can hide packages from what
   * it delegates (to run code where the api is invisible).
   */
  static final class Throwaway extends ClassLoader {
    private final Set<String> hidden;

    Throwaway(ClassLoader parent, Set<String> hidden) {
      super(parent);
      this.hidden = hidden;
    }

    Throwaway(ClassLoader parent) {
      this(parent, Set.of());
    }

    /** Defines, links and initialises (so the JVM's verifier checks every method now) the class. */
    Class<?> define(String name, byte[] classFile) throws ClassNotFoundException {
      defineClass(name, classFile, 0, classFile.length);
      return Class.forName(name, true, this);
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      if (hidden.contains(name)) {
        throw new ClassNotFoundException(name + " is hidden from this loader");
      }
      return super.loadClass(name, resolve);
    }
  }

  /** Calls a method by name (the first with that name), unwrapping what it throws. */
  static Object call(Class<?> type, Object target, String method, Object... args) throws Exception {
    for (Method m : type.getMethods()) {
      if (m.getName().equals(method) && m.getParameterCount() == args.length) {
        try {
          return m.invoke(target, args);
        } catch (InvocationTargetException e) {
          if (e.getCause() instanceof Exception x) {
            throw x;
          }
          throw (Error) e.getCause();
        }
      }
    }
    throw new NoSuchMethodException(type.getName() + "." + method);
  }
}
