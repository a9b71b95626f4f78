package io.deltaview.spring.boot;

import io.deltaview.driver.DeltaviewOptions;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.convert.DurationUnit;

/**
 * The {@code deltaview.*} properties of a Spring Boot application: whether its DataSource goes through Deltaview,
 * and the driver's connection options (see the README's option table), passed on as {@code deltaview.*}
 * parameters of the DataSource URL. An option left unset is not passed, so the driver's default applies.
 *
 * <p>Spring's names are kebab-case; the driver's are camelCase: {@code deltaview.strong-timeout} is the driver's
 * {@code deltaview.strongTimeoutMs}, {@code deltaview.auto-create-max} its {@code deltaview.autoCreate.max}
 * (a property cannot be both a value, {@code auto-create}, and a group of values in Spring).
 */
@ConfigurationProperties(DeltaviewProperties.PREFIX)
public class DeltaviewProperties {

  /** The prefix of every property here. */
  public static final String PREFIX = "deltaview";

  /**
   * The names this class binds, in canonical form. Anything else under {@code deltaview.} in the application's
   * configuration is refused (see {@link UnknownDeltaviewProperties}), as the driver refuses an unknown option.
   */
  static final List<String> NAMES = List.of("enabled", "mode", "consistency", "strong-timeout", "engine",
      "auto-create", "auto-create-max", "max-retained-wal", "view-engine");

  /**
   * Whether the application's DataSource goes through Deltaview. "true": a "jdbc:postgresql:" URL
   * (spring.datasource.url or a service connection) becomes "jdbc:deltaview:postgresql:". "false": a
   * "jdbc:deltaview:" URL is turned back into a plain one, and the starter does nothing else. Unset: on
   * exactly when spring.datasource.url is already a "jdbc:deltaview:postgresql:" URL.
   */
  private Boolean enabled;

  /**
   * Which queries are answered from views: "all" (the driver's default), "opt-in" (only queries marked
   * with a hint, "@Incremental" or "Deltaview.optIn()"), or "off" (plain pgjdbc).
   */
  private DeltaviewOptions.Mode mode;

  /**
   * "eventual" (the driver's default: serve what the result table holds), "strong" (a served query
   * reflects every transaction committed before it was issued, or goes to the base tables) or "read-your-writes"
   * (a served query reflects the connection's own committed writes). The driver's "bounded(&lt;ms&gt;)" takes a
   * bound this enum cannot hold: give it in the URL or a query hint.
   */
  private DeltaviewOptions.Consistency consistency;

  /**
   * With strong consistency, how long a query waits for its view to catch up before it goes to the base tables
   * (the driver's default: 5 s; a bare number is milliseconds).
   */
  @DurationUnit(ChronoUnit.MILLIS)
  private Duration strongTimeout;

  /**
   * Where the views are maintained: "embedded" (the driver's default: in this JVM, one process per database
   * maintains) or "none" (another process, e.g. the engine service, maintains; this one only rewrites).
   */
  private DeltaviewOptions.Engine engine;

  /** Whether a marked query that no view answers gets a view created for it in the background (default true). */
  private Boolean autoCreate;

  /** At most this many automatically created views per database (the driver's default: 50). */
  private Long autoCreateMax;

  /**
   * The most WAL the database's replication slot may hold back before the engine stops maintaining rather than
   * fill the server's disk: a size such as "10GB" or "512MB" (powers of 1024), or "unlimited"
   * (the driver's default).
   */
  private String maxRetainedWal;

  /**
   * The engine that maintains views created without WITH (engine = ...) and the views Deltaview creates by itself:
   * "embedded" (the driver's default), or "flink" where deltaview-flink is on the maintaining process's class path.
   */
  private String viewEngine;

  public Boolean getEnabled() {
    return enabled;
  }

  public void setEnabled(Boolean enabled) {
    this.enabled = enabled;
  }

  public DeltaviewOptions.Mode getMode() {
    return mode;
  }

  public void setMode(DeltaviewOptions.Mode mode) {
    this.mode = mode;
  }

  public DeltaviewOptions.Consistency getConsistency() {
    return consistency;
  }

  public void setConsistency(DeltaviewOptions.Consistency consistency) {
    this.consistency = consistency;
  }

  public Duration getStrongTimeout() {
    return strongTimeout;
  }

  public void setStrongTimeout(Duration strongTimeout) {
    this.strongTimeout = strongTimeout;
  }

  public DeltaviewOptions.Engine getEngine() {
    return engine;
  }

  public void setEngine(DeltaviewOptions.Engine engine) {
    this.engine = engine;
  }

  public Boolean getAutoCreate() {
    return autoCreate;
  }

  public void setAutoCreate(Boolean autoCreate) {
    this.autoCreate = autoCreate;
  }

  public Long getAutoCreateMax() {
    return autoCreateMax;
  }

  public void setAutoCreateMax(Long autoCreateMax) {
    this.autoCreateMax = autoCreateMax;
  }

  public String getMaxRetainedWal() {
    return maxRetainedWal;
  }

  public void setMaxRetainedWal(String maxRetainedWal) {
    this.maxRetainedWal = maxRetainedWal;
  }

  public String getViewEngine() {
    return viewEngine;
  }

  public void setViewEngine(String viewEngine) {
    this.viewEngine = viewEngine;
  }

  /**
   * The options that are set, under the driver's names and spellings ({@code deltaview.mode=opt-in}), in the
   * order of the README's table.
   */
  Map<String, String> driverOptions() {
    Map<String, String> options = new LinkedHashMap<>();
    if (mode != null) {
      options.put(DeltaviewOptions.MODE, spelling(mode));
    }
    if (consistency != null) {
      options.put(DeltaviewOptions.CONSISTENCY, spelling(consistency));
    }
    if (strongTimeout != null) {
      options.put(DeltaviewOptions.STRONG_TIMEOUT_MS, Long.toString(strongTimeout.toMillis()));
    }
    if (engine != null) {
      options.put(DeltaviewOptions.ENGINE, spelling(engine));
    }
    if (autoCreate != null) {
      options.put(DeltaviewOptions.AUTO_CREATE, autoCreate.toString());
    }
    if (autoCreateMax != null) {
      options.put(DeltaviewOptions.AUTO_CREATE_MAX, autoCreateMax.toString());
    }
    if (maxRetainedWal != null) {
      options.put(DeltaviewOptions.MAX_RETAINED_WAL, maxRetainedWal.trim());
    }
    if (viewEngine != null) {
      options.put(DeltaviewOptions.VIEW_ENGINE, viewEngine.trim());
    }
    return options;
  }

  /** How the driver spells an enum value: lower case, {@code -} for {@code _} ({@code OPT_IN} is opt-in). */
  private static String spelling(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
