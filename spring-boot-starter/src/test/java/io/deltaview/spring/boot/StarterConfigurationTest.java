package io.deltaview.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.zaxxer.hikari.HikariDataSource;
import io.deltaview.driver.DeltaviewDriver;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.autoconfigure.health.HealthContributorAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.metrics.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.JdbcConnectionDetails;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The auto-configuration without a database: how the DataSource's URL and driver class come out of
 * {@code spring.datasource.*} and {@code deltaview.*}, what is refused at start-up, where the meters are bound, and
 * how view statuses make the health status. (The pool never connects: nothing here opens a connection but the
 * start-up check, which has no server to reach and says so in the log.)
 */
class StarterConfigurationTest {

  private static final String HOST = "jdbc:postgresql://127.0.0.1:1/shop";

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, DeltaviewAutoConfiguration.class,
          HealthContributorAutoConfiguration.class, DeltaviewHealthAutoConfiguration.class))
      // the start-up check finds no server: fail fast rather than after HikariCP's 30 s
      .withPropertyValues("spring.datasource.hikari.connection-timeout=250",
          "spring.datasource.hikari.initialization-fail-timeout=-1");

  @Test
  void withoutTheStarterSpringBootCannotInferTheDriverOfADeltaviewUrl() {
    new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class))
        .withPropertyValues("spring.datasource.url=jdbc:deltaview:postgresql://127.0.0.1:1/shop")
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("Failed to determine a suitable driver class"));
  }

  @Test
  void aDeltaviewUrlGetsTheDriverClassAndTurnsTheStarterOn() {
    runner.withPropertyValues("spring.datasource.url=jdbc:deltaview:postgresql://127.0.0.1:1/shop?ssl=false")
        .run(context -> {
          HikariDataSource pool = context.getBean(HikariDataSource.class);
          assertEquals(DeltaviewDriver.class.getName(), pool.getDriverClassName());
          assertEquals("jdbc:deltaview:postgresql://127.0.0.1:1/shop?ssl=false", pool.getJdbcUrl());
          assertThat(context).hasSingleBean(DeltaviewStartup.class).hasBean("deltaviewHealthIndicator");
        });
  }

  @Test
  void enabledRewritesAPostgresUrlAndPassesEveryOptionToTheDriver() throws Exception {
    runner.withPropertyValues("spring.datasource.url=" + HOST + "?ssl=false&deltaview.mode=all",
        "deltaview.enabled=true", "deltaview.mode=opt-in", "deltaview.consistency=strong",
        "deltaview.strong-timeout=2s", "deltaview.engine=none", "deltaview.auto-create=false",
        "deltaview.auto-create-max=7", "deltaview.max-retained-wal=10GB", "deltaview.view-engine=flink")
        .run(context -> {
          HikariDataSource pool = context.getBean(HikariDataSource.class);
          assertEquals(DeltaviewDriver.class.getName(), pool.getDriverClassName());
          // the property replaces the URL's own deltaview.mode; pgjdbc's parameters stay as written
          assertEquals("jdbc:deltaview:postgresql://127.0.0.1:1/shop?ssl=false&deltaview.mode=opt-in"
              + "&deltaview.consistency=strong&deltaview.strongTimeoutMs=2000&deltaview.engine=none"
              + "&deltaview.autoCreate=false&deltaview.autoCreate.max=7&deltaview.maxRetainedWal=10GB"
              + "&deltaview.viewEngine=flink", pool.getJdbcUrl());
          // and the driver reads each of them from that URL
          Map<String, String> seen = Arrays.stream(new DeltaviewDriver().getPropertyInfo(pool.getJdbcUrl(),
                  new Properties())).filter(p -> p.name.startsWith("deltaview."))
              .collect(Collectors.toMap(p -> p.name, p -> p.value));
          assertEquals(Map.of("deltaview.mode", "opt-in", "deltaview.consistency", "strong",
              "deltaview.strongTimeoutMs", "2000", "deltaview.engine", "none", "deltaview.autoCreate", "false",
              "deltaview.autoCreate.max", "7", "deltaview.maxRetainedWal", "10GB", "deltaview.viewEngine", "flink"),
              seen);
        });
  }

  @Test
  void aPlainUrlIsLeftAloneUnlessEnabled() {
    runner.withPropertyValues("spring.datasource.url=" + HOST).run(context -> {
      HikariDataSource pool = context.getBean(HikariDataSource.class);
      assertEquals(HOST, pool.getJdbcUrl());
      assertEquals("org.postgresql.Driver", pool.getDriverClassName());
      assertThat(context.getBean(JdbcConnectionDetails.class)).isNotInstanceOf(DeltaviewJdbcConnectionDetails.class);
      assertThat(context).doesNotHaveBean(DeltaviewStartup.class).doesNotHaveBean("deltaviewHealthIndicator");
    });
  }

  @Test
  void disabledTurnsADeltaviewUrlBackIntoAPlainOne() {
    runner.withPropertyValues("spring.datasource.url=jdbc:deltaview:postgresql://127.0.0.1:1/shop?deltaview.mode=all"
        + "&ssl=false", "deltaview.enabled=false").run(context -> {
          HikariDataSource pool = context.getBean(HikariDataSource.class);
          assertEquals(HOST + "?ssl=false", pool.getJdbcUrl());
          assertEquals("org.postgresql.Driver", pool.getDriverClassName());
          assertThat(context).doesNotHaveBean(DeltaviewStartup.class).doesNotHaveBean("deltaviewHealthIndicator");
        });
  }

  @Test
  void enabledWithAnotherDatabaseIsRefused() {
    runner.withPropertyValues("spring.datasource.url=jdbc:h2:mem:shop;password=secret", "deltaview.enabled=true")
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("deltaview.enabled=true, but the DataSource URL jdbc:h2:mem:shop;… is not a"
                + " PostgreSQL URL").message().doesNotContain("secret"));
  }

  @Test
  void aValueTheDriverRefusesFailsTheStart() {
    runner.withPropertyValues("spring.datasource.url=" + HOST, "deltaview.enabled=true",
        "deltaview.max-retained-wal=lots").run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("Invalid value 'lots' for deltaview.maxRetainedWal"));
  }

  @Test
  void anUnknownDeltaviewPropertyFailsTheStart() {
    runner.withPropertyValues("spring.datasource.url=" + HOST, "deltaview.enabled=true",
        "deltaview.autoCreate.max=5").run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("Unknown Deltaview property deltaview.autocreate.max")
            .hasMessageContaining("deltaview.auto-create-max"));
    // Relaxed binding's other spellings of known properties are fine.
    runner.withPropertyValues("spring.datasource.url=" + HOST, "deltaview.enabled=true",
        "deltaview.autoCreateMax=5", "deltaview.strong_timeout=100").run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context.getBean(HikariDataSource.class).getJdbcUrl())
              .endsWith("?deltaview.strongTimeoutMs=100&deltaview.autoCreate.max=5");
        });
  }

  @Test
  void theMetersAreBoundToTheApplicationsRegistryNotThroughTheGlobalOne() {
    String before = System.clearProperty(DeltaviewMetricsAutoConfiguration.GLOBAL_METERS_PROPERTY);
    try {
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
              SimpleMetricsExportAutoConfiguration.class, DeltaviewMetricsAutoConfiguration.class))
          .withPropertyValues("deltaview.enabled=true", "management.metrics.use-global-registry=false")
          .run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            assertThat(registry.find("deltaview.state.memory.limit").gauge()).isNotNull();
            assertEquals("off", System.getProperty(DeltaviewMetricsAutoConfiguration.GLOBAL_METERS_PROPERTY));
            List<Meter> global = Metrics.globalRegistry.find("deltaview.state.memory.limit").meters().stream()
                .toList();
            assertThat(global).isEmpty();
            context.close();
            assertThat(registry.find("deltaview.state.memory.limit").gauge()).as("removed on close").isNull();
          });
    } finally {
      if (before != null) {
        System.setProperty(DeltaviewMetricsAutoConfiguration.GLOBAL_METERS_PROPERTY, before);
      } else {
        System.clearProperty(DeltaviewMetricsAutoConfiguration.GLOBAL_METERS_PROPERTY);
      }
    }
  }

  @Test
  void healthIsUpOnlyWhenEveryViewIsReady() {
    assertEquals(Status.UP, DeltaviewHealthIndicator.status(List.of()));
    assertEquals(Status.UP, DeltaviewHealthIndicator.status(List.of("ready", "ready")));
    assertEquals(Status.OUT_OF_SERVICE, DeltaviewHealthIndicator.status(List.of("ready", "snapshotting")));
    assertEquals(Status.OUT_OF_SERVICE, DeltaviewHealthIndicator.status(List.of("rebuilding", "ready")));
    assertEquals(Status.DOWN, DeltaviewHealthIndicator.status(List.of("snapshotting", "failed", "ready")));
  }

  @Test
  void urlsKeepPgjdbcParametersAndReplaceDeltaviewOnes() {
    assertEquals("jdbc:postgresql://h/db?ssl=true&ApplicationName=a%26b",
        DeltaviewUrls.toPostgres("jdbc:deltaview:postgresql://h/db?deltaview.mode=off&ssl=true"
            + "&deltaview%2Econsistency=strong&ApplicationName=a%26b"));
    assertEquals("jdbc:postgresql://h/db",
        DeltaviewUrls.toPostgres("jdbc:deltaview:postgresql://h/db?deltaview.mode=all"));
    assertEquals("jdbc:deltaview:postgresql://h/db?deltaview.mode=opt-in",
        DeltaviewUrls.withOptions("jdbc:deltaview:postgresql://h/db", Map.of("deltaview.mode", "opt-in")));
    assertEquals("jdbc:deltaview:postgresql://h/db?deltaview.engine=none&deltaview.maxRetainedWal=1+GB",
        DeltaviewUrls.withOptions("jdbc:deltaview:postgresql://h/db?deltaview.engine=none",
            Map.of("deltaview.maxRetainedWal", "1 GB")));
    assertEquals("jdbc:postgresql://h/db?…", DeltaviewUrls.redacted("jdbc:postgresql://h/db?password=secret"));
  }

  /** The option table of the driver and this starter's properties must not drift apart. */
  @Test
  void everyDriverOptionHasAProperty() throws Exception {
    List<String> driverOptions = Arrays.stream(new DeltaviewDriver().getPropertyInfo(HOST.replace("jdbc:",
        "jdbc:deltaview:"), new Properties())).map(p -> p.name).filter(n -> n.startsWith("deltaview.")).toList();
    DeltaviewProperties all = new DeltaviewProperties();
    all.setMode(io.deltaview.driver.DeltaviewOptions.Mode.ALL);
    all.setConsistency(io.deltaview.driver.DeltaviewOptions.Consistency.EVENTUAL);
    all.setStrongTimeout(java.time.Duration.ofSeconds(1));
    all.setEngine(io.deltaview.driver.DeltaviewOptions.Engine.EMBEDDED);
    all.setAutoCreate(true);
    all.setAutoCreateMax(1L);
    all.setMaxRetainedWal("1GB");
    all.setViewEngine("flink");
    assertEquals(driverOptions, List.copyOf(all.driverOptions().keySet()));
    assertEquals(DeltaviewProperties.NAMES.size() - 1, driverOptions.size(), "every property but enabled");
  }
}
