package io.deltaview.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.deltaview.it.fixture.PostgresFixture;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The issue's promise, checked literally: everything works with {@code deltaview-driver-all.jar} alone on the
 * class path. A child JVM gets exactly that jar plus a directory holding only {@link ShadedJarScenario} (which
 * uses nothing but {@code java.sql}), and runs the scenario against a fresh database. A second test checks the
 * jar's contents: all third-party code other than pgjdbc's public {@code org.postgresql} (Calcite too) is relocated
 * under {@code io.deltaview.shaded}, and nothing in it can take over an application's logging or JDBC drivers.
 *
 * <p>Runs in {@code mvn verify}; the reactor has packaged the driver module by then. A missing jar is a failure.
 */
class ShadedJarTest {

  static final long CHILD_TIMEOUT_SECONDS = 300;

  /** Entry prefixes allowed in the jar; everything else is an un-relocated third-party leftover. */
  static final List<String> ALLOWED_PREFIXES = List.of("io/deltaview/", "org/postgresql/",
      "META-INF/MANIFEST.MF", "META-INF/services/", "META-INF/maven/", "META-INF/LICENSE", "META-INF/NOTICE",
      "META-INF/licenses/", "META-INF/DEPENDENCIES", "META-INF/FastDoubleParser-", "META-INF/thirdparty-LICENSE",
      // a data file the relocated commons-math3 reads by this absolute resource path (not a class)
      "assets/org/apache/commons/math3/random/");

  /** Entries that would hijack an application's logging or otherwise must never ship in a driver jar. */
  static final Pattern FORBIDDEN = Pattern.compile(
      "(?i)(^|/)(log4j[^/]*\\.(properties|xml)|logback[^/]*\\.xml|simplelogger\\.properties"
          + "|commons-logging\\.properties|logging\\.properties)$"
          + "|^META-INF/[^/]+\\.(SF|DSA|RSA|EC)$|(^|/)module-info\\.class$"
          + "|^META-INF/services/org\\.slf4j\\.|^org/slf4j/");

  static Path shadedJar() {
    return ChildJvms.builtJar("driver/target/deltaview-driver-all.jar");
  }

  @Test
  void scenarioRunsWithTheShadedJarAloneOnTheClassPath(@TempDir Path tmp) throws Exception {
    Path jar = shadedJar();
    Path classes = ChildJvms.copyClasses(ShadedJarScenario.class, tmp);

    PostgresFixture server = PostgresFixture.get();
    String pgUrl = server.createDatabase("shaded");
    String url = "jdbc:deltaview:" + pgUrl.substring("jdbc:".length());

    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx512m");
    // e.g. -Ddeltaview.shaded.childJvmArgs=-Xlog:class+load:file=/tmp/classes.txt to see what the scenario loads
    for (String arg : System.getProperty("deltaview.shaded.childJvmArgs", "").split("\\s+")) {
      if (!arg.isEmpty()) {
        cmd.add(arg);
      }
    }
    cmd.add("-cp");
    cmd.add(jar + File.pathSeparator + classes);
    cmd.add(ShadedJarScenario.class.getName());
    cmd.add(url);
    cmd.add(server.user());
    cmd.add(server.password());
    ChildJvms.Finished child = ChildJvms.run(cmd, CHILD_TIMEOUT_SECONDS);
    String out = child.output();
    String report = child.report();
    if (!child.inTime()) {
      fail("scenario did not finish within " + CHILD_TIMEOUT_SECONDS + " s" + report);
    }
    assertEquals(0, child.exitCode(), "scenario failed with the shaded jar alone on the class path" + report);
    assertTrue(out.contains("SCENARIO OK"), "scenario exited 0 without reporting success" + report);
    // An unbound SLF4J in the jar would complain on stderr at every application start.
    assertTrue(!out.contains("SLF4J"), "the shaded jar printed SLF4J warnings" + report);
  }

  @Test
  void jarHoldsNoUnrelocatedThirdPartyCodeOrLoggingConfiguration() throws IOException {
    TreeSet<String> leftovers = new TreeSet<>();
    TreeSet<String> forbidden = new TreeSet<>();
    String drivers;
    String manifest;
    try (JarFile jar = new JarFile(shadedJar().toFile())) {
      for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
        String name = e.nextElement().getName();
        if (FORBIDDEN.matcher(name).find()) {
          forbidden.add(name);
        }
        String path = name.startsWith("META-INF/versions/")
            ? name.replaceFirst("^META-INF/versions/\\d+/", "") : name;
        if (path.isEmpty() || path.endsWith("/") || ALLOWED_PREFIXES.stream().anyMatch(path::startsWith)) {
          continue;
        }
        int cut = path.indexOf('/', path.indexOf('/') + 1);
        leftovers.add(cut < 0 ? path : path.substring(0, cut + 1));
      }
      drivers = read(jar, "META-INF/services/java.sql.Driver");
      manifest = read(jar, "META-INF/MANIFEST.MF");
    }
    assertTrue(forbidden.isEmpty(), "entries that must not ship in the driver jar: " + forbidden);
    assertTrue(leftovers.isEmpty(), "third-party entries neither relocated nor excluded: " + leftovers);
    List<String> registered = drivers.lines().map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#"))
        .sorted().toList();
    assertEquals(List.of("io.deltaview.driver.DeltaviewDriver", "org.postgresql.Driver"), registered,
        "java.sql.Driver services must register exactly Deltaview and pgjdbc");
    assertTrue(manifest.contains("Multi-Release: true") || !hasVersionedEntries(),
        "META-INF/versions entries are present but the manifest is not Multi-Release");
    assertTrue(manifest.contains("Automatic-Module-Name: io.deltaview.driver"),
        "a stable module name for the module path: " + manifest);
  }

  private static boolean hasVersionedEntries() throws IOException {
    try (JarFile jar = new JarFile(shadedJar().toFile())) {
      return jar.stream().anyMatch(e -> e.getName().startsWith("META-INF/versions/") && e.getName().endsWith(".class"));
    }
  }

  private static String read(JarFile jar, String name) throws IOException {
    JarEntry entry = jar.getJarEntry(name);
    if (entry == null) {
      fail(name + " missing from the shaded jar");
    }
    try (InputStream in = jar.getInputStream(entry)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
