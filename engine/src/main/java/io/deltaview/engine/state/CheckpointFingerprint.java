package io.deltaview.engine.state;

import io.deltaview.engine.compile.ViewPipeline;
import io.deltaview.engine.view.MaintainedView;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * What a checkpoint's state belongs to, as a SHA-256: the view's rendered definition, search_path and TimeZone, the
 * tables and columns it was planned against (OIDs, names, types), the compiled plan's shape, the checkpoint
 * format, and the code that compiles and runs plans. A checkpoint whose fingerprint differs from the view's as
 * planned now (the definition, a table or the engine changed) is never read: the view is rebuilt instead.
 */
public final class CheckpointFingerprint {

  /** The packages whose classes decide what a plan computes and how its state is laid out. */
  private static final List<String> CODE_PACKAGES = List.of("io/deltaview/engine/dataflow/",
      "io/deltaview/engine/compile/",
      "io/deltaview/engine/operator/", "io/deltaview/engine/expr/", "io/deltaview/engine/row/",
      "io/deltaview/engine/state/");

  private static volatile String code;

  private CheckpointFingerprint() {
  }

  public static String of(MaintainedView view, ViewPipeline pipeline) {
    MessageDigest d = sha256();
    for (String part : new String[] {"format " + PipelineState.FORMAT_VERSION, code(), view.record().definition(),
        view.record().searchPath(), view.record().timeZone(), view.sources().toString(), pipeline.planSignature()}) {
      byte[] bytes = String.valueOf(part).getBytes(StandardCharsets.UTF_8);
      d.update(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
      d.update((byte) ':');
      d.update(bytes);
    }
    return HexFormat.of().formatHex(d.digest());
  }

  /**
   * A hash of the class files of {@link #CODE_PACKAGES}, read once from wherever the engine was loaded (a jar
   * or a directory): another build of the engine gets other fingerprints, and its checkpoints are rebuilt
   * rather than trusted. Falls back to the engine's version if the class files cannot be read.
   */
  static String code() {
    String c = code;
    if (c == null) {
      c = computeCode();
      code = c;
    }
    return c;
  }

  private static String computeCode() {
    MessageDigest d = sha256();
    try {
      Path location = Path.of(PipelineState.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      List<String> names = new ArrayList<>();
      if (Files.isDirectory(location)) {
        try (Stream<Path> files = Files.walk(location)) {
          files.filter(f -> f.toString().endsWith(".class")).forEach(f -> {
            String name = location.relativize(f).toString().replace('\\', '/');
            if (inCodePackages(name)) {
              names.add(name);
            }
          });
        }
        names.sort(null);
        for (String name : names) {
          d.update(name.getBytes(StandardCharsets.UTF_8));
          d.update(Files.readAllBytes(location.resolve(name)));
        }
      } else {
        try (JarFile jar = new JarFile(location.toFile())) {
          for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
            JarEntry entry = e.nextElement();
            if (entry.getName().endsWith(".class") && inCodePackages(entry.getName())) {
              names.add(entry.getName());
            }
          }
          names.sort(null);
          for (String name : names) {
            d.update(name.getBytes(StandardCharsets.UTF_8));
            try (InputStream in = jar.getInputStream(jar.getEntry(name))) {
              d.update(in.readAllBytes());
            }
          }
        }
      }
      if (names.isEmpty()) {
        throw new IOException("no engine classes under " + location);
      }
      return HexFormat.of().formatHex(d.digest());
    } catch (IOException | URISyntaxException | RuntimeException e) {
      String version = PipelineState.class.getPackage().getImplementationVersion();
      return "engine " + (version == null ? "unknown" : version);
    }
  }

  private static boolean inCodePackages(String classFile) {
    for (String p : CODE_PACKAGES) {
      if (classFile.startsWith(p)) {
        return true;
      }
    }
    return false;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
