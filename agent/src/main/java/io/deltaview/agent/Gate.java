package io.deltaview.agent;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.IllegalClassFormatException;
import java.security.ProtectionDomain;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The transformer {@code premain} registers before any application class loads. It costs a byte scan per class:
 * classes that are neither pgjdbc's {@code Driver} nor mention {@code io/deltaview/Incremental} pass untouched.
 * The Byte Buddy transformer it hands the others to is built on a background thread (Byte Buddy's own start-up
 * is several hundred milliseconds of class loading), so {@code premain} returns at once; a relevant class that
 * loads before that transformer is ready waits for it, so no class escapes instrumentation.
 *
 * <p>Deliberately free of Byte Buddy types, so that loading it loads none.
 */
final class Gate implements ClassFileTransformer {

  static final String DRIVER_INTERNAL = "org/postgresql/Driver";
  /** {@code Lio/deltaview/Incremental;}, built at run time so that this class file does not contain it. */
  private static final byte[] INCREMENTAL_DESCRIPTOR =
      ("L" + "io.deltaview.Incremental".replace('.', '/') + ";").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  /** How long a relevant class waits for the transformer before it loads uninstrumented. */
  static final long WAIT_SECONDS = 60;

  private final CompletableFuture<ClassFileTransformer> delegate = new CompletableFuture<>();
  private volatile Thread builder;

  /** Marks {@code thread} as the one building the transformer: the classes it loads are never waited for. */
  void buildingOn(Thread thread) {
    builder = thread;
  }

  void ready(ClassFileTransformer transformer) {
    delegate.complete(transformer);
  }

  void failed(Throwable cause) {
    delegate.completeExceptionally(cause);
  }

  @Override
  public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined,
      ProtectionDomain domain, byte[] classFile) throws IllegalClassFormatException {
    if (loader == null || name == null || Thread.currentThread() == builder || !relevant(name, classFile)) {
      return null;
    }
    ClassFileTransformer t = await(name);
    return t == null ? null : t.transform(module, loader, name, redefined, domain, classFile);
  }

  @Override
  public byte[] transform(ClassLoader loader, String name, Class<?> redefined, ProtectionDomain domain,
      byte[] classFile) throws IllegalClassFormatException {
    if (loader == null || name == null || Thread.currentThread() == builder || !relevant(name, classFile)) {
      return null;
    }
    ClassFileTransformer t = await(name);
    return t == null ? null : t.transform(loader, name, redefined, domain, classFile);
  }

  private ClassFileTransformer await(String name) {
    try {
      return delegate.get(WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      AgentLog.once("gate " + name, "interrupted while waiting for the instrumentation; " + name.replace('/', '.')
          + " loads unchanged");
    } catch (TimeoutException e) {
      AgentLog.once("gate", "the instrumentation was not ready within " + WAIT_SECONDS + " s; "
          + name.replace('/', '.') + " loads unchanged");
    } catch (ExecutionException e) {
      // reported once where it failed
    }
    return null;
  }

  /** Whether a class file may need transforming: pgjdbc's Driver, or anything mentioning {@code @Incremental}. */
  static boolean relevant(String internalName, byte[] classFile) {
    return DRIVER_INTERNAL.equals(internalName) || contains(classFile, INCREMENTAL_DESCRIPTOR);
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
}
