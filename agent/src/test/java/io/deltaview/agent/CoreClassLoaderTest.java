package io.deltaview.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hidden core's class loader, on a small jar laid out like the agent's. */
class CoreClassLoaderTest {

  /** Loaded through the hidden directory in the tests (and also present on the test class path). */
  public static final class Probe {
    public static String where() {
      return Probe.class.getClassLoader().getName();
    }
  }

  @TempDir
  Path dir;

  private Path agentLikeJar() throws Exception {
    Path jar = dir.resolve("agent.jar");
    String probe = Probe.class.getName().replace('.', '/');
    byte[] bytes;
    try (InputStream in = Probe.class.getResourceAsStream("/" + probe + ".class")) {
      bytes = in.readAllBytes();
    }
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
      j.putNextEntry(new ZipEntry(CoreClassLoader.ROOT + probe + CoreClassLoader.CLASS_SUFFIX));
      j.write(bytes);
      j.putNextEntry(new ZipEntry(CoreClassLoader.ROOT + "core/messages.properties"));
      j.write("greeting=hello\n".getBytes(StandardCharsets.UTF_8));
      j.putNextEntry(new ZipEntry("top-level.txt"));
      j.write("not the core's".getBytes(StandardCharsets.UTF_8));
    }
    return jar;
  }

  @Test
  void coreClassesComeFromTheHiddenDirectoryEvenWhenTheParentHasThem() throws Exception {
    Path jar = agentLikeJar();
    ClassLoader parent = getClass().getClassLoader();
    try (JarFile file = new JarFile(jar.toFile())) {
      CoreClassLoader core = new CoreClassLoader(file, jar.toUri().toURL(), parent);
      Class<?> probe = core.loadClass(Probe.class.getName());
      assertSame(core, probe.getClassLoader());
      assertNotSame(Probe.class, probe);
      assertEquals("deltaview-core", probe.getMethod("where").invoke(null));
      assertSame(probe, core.loadClass(Probe.class.getName()), "defined once");
      // everything else from the parent: the JDK, and classes the core does not hold
      assertSame(String.class, core.loadClass("java.lang.String"));
      assertSame(CoreClassLoaderTest.class, core.loadClass(CoreClassLoaderTest.class.getName()));
      assertThrows(ClassNotFoundException.class, () -> core.loadClass("no.such.Type"));
    }
  }

  @Test
  void resourcesAreReadableAndClassFilesAreFoundUnderTheirUsualName() throws Exception {
    Path jar = agentLikeJar();
    try (JarFile file = new JarFile(jar.toFile())) {
      CoreClassLoader core = new CoreClassLoader(file, jar.toUri().toURL(), getClass().getClassLoader());
      URL messages = core.getResource("core/messages.properties");
      assertNotNull(messages);
      try (InputStream in = messages.openStream()) {
        assertEquals("greeting=hello\n", new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
      String probeFile = Probe.class.getName().replace('.', '/') + ".class";
      URL probe = core.getResource(probeFile);
      assertNotNull(probe);
      assertTrue(probe.toString().contains("!/" + CoreClassLoader.ROOT), probe.toString());
      List<URL> all = Collections.list(core.getResources(probeFile));
      assertEquals(2, all.size(), "the core's copy first, then the parent's: " + all);
      assertEquals(probe, all.get(0));
      // the jar's top level is not the core
      assertNull(core.findResource("top-level.txt"));
    }
  }
}
