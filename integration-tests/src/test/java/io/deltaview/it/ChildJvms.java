package io.deltaview.it;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the tests that run an application in a child JVM share: the jars the build produced, a directory with
 * only one application class, and running the child to completion with a timeout.
 */
public final class ChildJvms {

  private ChildJvms() {
  }

  /** How a child JVM ended: its command, whether it finished in time, its exit code and its whole output. */
  public record Finished(List<String> command, boolean inTime, int exitCode, String output) {

    /** The command and output, for failure messages. */
    public String report() {
      return "\n----- child JVM (" + String.join(" ", command) + ") exit " + exitCode + " -----\n" + output
          + "----- end of child output -----";
    }
  }

  /**
   * A jar the reactor built, e.g. {@code driver/target/deltaview-driver-all.jar} (relative to the project root);
   * a missing jar is a failure that says how to build it.
   */
  public static Path builtJar(String pathFromRoot) {
    String basedir = System.getProperty("basedir", System.getProperty("user.dir"));
    Path jar = Path.of(basedir).resolve("..").resolve(pathFromRoot).normalize();
    if (!Files.isRegularFile(jar)) {
      fail(jar + " not found — build it with `mvn -B -DskipTests install` (or run `mvn verify` from the root so"
          + " that module is packaged first)");
    }
    return jar;
  }

  /** The jar or directory {@code type} was loaded from. */
  public static String location(Class<?> type) throws URISyntaxException {
    return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
  }

  /** Copies {@code main}'s class files (and its nested classes') into a fresh directory under {@code work}. */
  public static Path copyClasses(Class<?> main, Path work) throws IOException, URISyntaxException {
    Path dir = work.resolve(main.getSimpleName() + "-classes-" + System.nanoTime());
    String pkg = main.getPackageName().replace('.', '/');
    Path source = Path.of(main.getResource(main.getSimpleName() + ".class").toURI()).getParent();
    Path target = Files.createDirectories(dir.resolve(pkg));
    int copied = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(source, main.getSimpleName() + "{,$*}.class")) {
      for (Path f : files) {
        Files.copy(f, target.resolve(f.getFileName().toString()));
        copied++;
      }
    }
    assertTrue(copied > 0, "no " + main.getSimpleName() + " class files under " + source);
    return dir;
  }

  /**
   * Runs {@code command} (stderr merged into stdout) until it exits or {@code timeoutSeconds} pass (then it is
   * killed); prints and returns how it ended.
   */
  public static Finished run(List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
    Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    Thread pump = new Thread(() -> copy(child.getInputStream(), output), "child-jvm-output");
    pump.setDaemon(true);
    pump.start();
    boolean inTime = child.waitFor(timeoutSeconds, TimeUnit.SECONDS);
    if (!inTime) {
      child.destroyForcibly();
      child.waitFor(30, TimeUnit.SECONDS);
    }
    pump.join(10_000);
    String out;
    synchronized (output) {
      out = output.toString(StandardCharsets.UTF_8);
    }
    Finished finished = new Finished(List.copyOf(command), inTime, inTime ? child.exitValue() : -1, out);
    System.out.println(finished.report());
    return finished;
  }

  private static void copy(InputStream in, ByteArrayOutputStream out) {
    try (in) {
      byte[] buffer = new byte[8192];
      for (int n; (n = in.read(buffer)) >= 0; ) {
        synchronized (out) {
          out.write(buffer, 0, n);
        }
      }
    } catch (IOException ignored) {
      // the child is gone
    }
  }
}
