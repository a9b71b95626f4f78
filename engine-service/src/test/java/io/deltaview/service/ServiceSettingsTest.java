package io.deltaview.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceSettingsTest {

  private static final String URL = "jdbc:postgresql://db:5432/shop";

  @Test
  void commandLine() throws Exception {
    ServiceSettings s = ServiceSettings.parse(new String[] {"--url", URL, "--user", "u", "--password", "p",
        "--http-port", "9000", "--url=jdbc:postgresql://db:5432/other"}, Map.of());
    assertEquals(List.of(URL, "jdbc:postgresql://db:5432/other"), s.urls());
    assertEquals("u", s.user());
    assertEquals("p", s.password());
    assertEquals(9000, s.httpPort());
    assertEquals("p", s.connectionProperties().getProperty("password"));
  }

  @Test
  void environmentThenFileThenCommandLine(@TempDir Path dir) throws Exception {
    Map<String, String> env = Map.of("DELTAVIEW_URL", URL + " jdbc:postgresql://db:5432/two", "DELTAVIEW_USER",
        "env-user", "DELTAVIEW_PASSWORD", "env-secret", "DELTAVIEW_HTTP_PORT", "9100");
    ServiceSettings fromEnv = ServiceSettings.parse(new String[0], env);
    assertEquals(List.of(URL, "jdbc:postgresql://db:5432/two"), fromEnv.urls());
    assertEquals("env-user", fromEnv.user());
    assertEquals(9100, fromEnv.httpPort());

    Path file = Files.writeString(dir.resolve("service.properties"), "user=file-user\nhttp-port=9200\n");
    ServiceSettings fromFile = ServiceSettings.parse(new String[] {"--config", file.toString()}, env);
    assertEquals("file-user", fromFile.user());
    assertEquals("env-secret", fromFile.password());
    assertEquals(9200, fromFile.httpPort());
    assertEquals(2, fromFile.urls().size());

    ServiceSettings fromArgs = ServiceSettings.parse(new String[] {"--config", file.toString(), "--user", "cli",
        "--url", URL}, env);
    assertEquals("cli", fromArgs.user());
    assertEquals(List.of(URL), fromArgs.urls());
    assertTrue(!fromArgs.toString().contains("env-secret"), fromArgs.toString());
  }

  @Test
  void defaults() throws Exception {
    ServiceSettings s = ServiceSettings.parse(new String[] {"--url", URL}, Map.of());
    assertEquals(ServiceSettings.DEFAULT_HTTP_PORT, s.httpPort());
    assertNull(s.user());
    assertTrue(s.connectionProperties().isEmpty());
  }

  @Test
  void badArguments(@TempDir Path dir) throws Exception {
    assertBad("unknown argument --verbose", "--url", URL, "--verbose");
    assertBad("no database");
    assertBad("--url needs a value", "--url");
    assertBad("not Deltaview's", "--url", "jdbc:deltaview:postgresql://db/shop");
    assertBad("not a PostgreSQL JDBC URL", "--url", "postgresql://db/shop");
    assertBad("port number", "--url", URL, "--http-port", "70000");
    assertBad("the same --url is given twice", "--url", URL, "--url", URL);
    Path file = Files.writeString(dir.resolve("bad.properties"), "usr=x\n");
    assertBad("unknown key usr", "--url", URL, "--config", file.toString());
    assertThrows(ServiceSettings.HelpRequested.class, () -> ServiceSettings.parse(new String[] {"--help"}, Map.of()));
  }

  private static void assertBad(String message, String... args) {
    ServiceSettings.BadArguments e = assertThrows(ServiceSettings.BadArguments.class,
        () -> ServiceSettings.parse(args, Map.of()));
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }
}
