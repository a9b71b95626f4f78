package io.deltaview.flink.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A job travels to a Flink cluster as one program argument that holds everything but the password, and to a local
 * Flink JVM with it; {@link FlinkClusterJobMain} takes exactly its two options.
 */
class JobSpecTest {

  private final JobSpec job = new JobSpec("deltaview dvf_00 public.v",
      List.of(new JobSpec.Table("source_0", "postgres-cdc", List.of(new JobSpec.Column("c0", "INT NOT NULL")),
          List.of("c0"), Map.of("hostname", "db", "table-name", "o'rders\n="))),
      new JobSpec.Table("result_table", "jdbc", List.of(new JobSpec.Column("c0", "INT NOT NULL")), List.of("c0"),
          Map.of("url", "jdbc:postgresql://db:5432/shop")),
      "INSERT INTO `result_table` SELECT `c0` FROM `source_0` WHERE x = 'é'", Map.of("parallelism.default", "2"));

  @Test
  void theProgramArgumentHoldsTheJobAndNoPassword() throws IOException {
    String argument = job.toArgument();
    assertEquals(job, JobSpec.fromArgument(argument));
    ByteArrayOutputStream local = new ByteArrayOutputStream();
    job.write(local, "s3cret");
    assertEquals(new JobSpec.Received(job, "s3cret"), JobSpec.read(new ByteArrayInputStream(local.toByteArray())));
    assertFalse(new String(Base64.getDecoder().decode(argument), StandardCharsets.ISO_8859_1).contains("password"));
    // an argument that carries a password is refused rather than used
    byte[] withPassword = local.toByteArray();
    String smuggled = Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(withPassword, 4,
        withPassword.length));
    assertThrows(IOException.class, () -> JobSpec.fromArgument(smuggled));
  }

  @Test
  void theClusterEntryPointTakesExactlyTheJobAndThePasswordVariable() {
    assertEquals(Map.of("--job", "J", "--password-env", "PW"),
        FlinkClusterJobMain.options(new String[] {"--password-env", "PW", "--job", "J"}));
    assertThrows(IllegalArgumentException.class, () -> FlinkClusterJobMain.options(new String[] {"--job", "J"}));
    assertThrows(IllegalArgumentException.class,
        () -> FlinkClusterJobMain.options(new String[] {"--job", "J", "--job", "K"}));
    assertThrows(IllegalArgumentException.class,
        () -> FlinkClusterJobMain.options(new String[] {"--job", "J", "--password", "s3cret"}));
  }
}
