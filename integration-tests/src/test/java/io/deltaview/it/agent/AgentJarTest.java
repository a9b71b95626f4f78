package io.deltaview.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.TreeSet;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * What {@code deltaview-agent.jar} holds: at the top level only the agent, the relocated ASM (Byte Buddy's copy of
 * ASM's core package, nothing else of Byte Buddy) and the unrelocated api; the rest hidden under
 * {@code deltaview-core/} as {@code *.classdata}, without pgjdbc (the core links against the application's). Anything else at the top level would be visible to, and could clash with,
 * the application's own classes.
 */
class AgentJarTest {

  static final List<String> TOP_LEVEL = List.of("io/deltaview/agent/", "META-INF/MANIFEST.MF", "META-INF/maven/",
      "META-INF/LICENSE", "META-INF/NOTICE", "META-INF/licenses/",
      "deltaview-core/", "io/deltaview/Incremental.class", "io/deltaview/Consistency.class",
      "io/deltaview/Deltaview.class", "io/deltaview/Deltaview$Scope.class");

  @Test
  void topLevelHoldsOnlyTheAgentRelocatedAsmAndTheApi() throws IOException {
    TreeSet<String> unexpected = new TreeSet<>();
    TreeSet<String> hiddenClassFiles = new TreeSet<>();
    TreeSet<String> hiddenForbidden = new TreeSet<>();
    int byteBuddy = 0;
    int asm = 0;
    int hidden = 0;
    try (JarFile jar = new JarFile(AgentChild.agentJar().toFile())) {
      for (JarEntry e : jar.stream().toList()) {
        String name = e.getName();
        if (name.endsWith("/") && TOP_LEVEL.stream().anyMatch(p -> p.startsWith(name))) {
          continue; // parent directories of allowed entries
        }
        if (name.startsWith("io/deltaview/agent/shaded/bytebuddy/") && !name.endsWith("/")) {
          byteBuddy++;
          if (name.matches("io/deltaview/agent/shaded/bytebuddy/jar/asm/[^/]+\\.class")) {
            asm++;
          }
        }
        if (name.startsWith("deltaview-core/")) {
          hidden++;
          if (name.endsWith(".class")) {
            hiddenClassFiles.add(name);
          }
          String path = name.substring("deltaview-core/".length());
          if (path.startsWith("org/postgresql/") || path.startsWith("io/deltaview/Incremental.")
              || path.startsWith("io/deltaview/Deltaview.") || path.startsWith("io/deltaview/Consistency.")
              || path.equals("META-INF/services/java.sql.Driver") || path.startsWith("META-INF/versions/")) {
            hiddenForbidden.add(name);
          }
        }
        if (TOP_LEVEL.stream().noneMatch(name::startsWith)) {
          int cut = name.indexOf('/', name.indexOf('/') + 1);
          unexpected.add(cut < 0 ? name : name.substring(0, cut + 1));
        }
      }
      assertTrue(unexpected.isEmpty(), "unexpected top-level entries: " + unexpected);
      assertNotNull(jar.getJarEntry("io/deltaview/agent/shaded/bytebuddy/jar/asm/ClassReader.class"),
          "the relocated ASM is missing");
      assertTrue(asm > 20 && byteBuddy == asm, "only ASM's core package of Byte Buddy is shipped (" + asm
          + " of " + byteBuddy + " entries)");
      assertNotNull(jar.getJarEntry("deltaview-core/io/deltaview/driver/DeltaviewConnections.classdata"));
      assertNotNull(jar.getJarEntry(
          "deltaview-core/io/deltaview/shaded/org/apache/calcite/runtime/CalciteResource.properties"));
      assertTrue(hidden > 10_000, "the hidden core looks incomplete (" + hidden + " entries)");
      assertTrue(hiddenClassFiles.isEmpty(), "class files in the core must be stored as .classdata: "
          + hiddenClassFiles.stream().limit(5).toList());
      assertTrue(hiddenForbidden.isEmpty(), "the core must not carry pgjdbc, the api or a java.sql.Driver"
          + " registration: " + hiddenForbidden.stream().limit(5).toList());
      Attributes manifest = jar.getManifest().getMainAttributes();
      assertEquals("io.deltaview.agent.DeltaviewAgent", manifest.getValue("Premain-Class"));
      assertEquals("io.deltaview.agent.DeltaviewAgent", manifest.getValue("Agent-Class"));
      assertEquals("true", manifest.getValue("Can-Retransform-Classes"));
    }
  }
}
