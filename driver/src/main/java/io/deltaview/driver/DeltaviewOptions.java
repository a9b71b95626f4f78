package io.deltaview.driver;

import io.deltaview.sql.SqlStates;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The {@code deltaview.*} connection options, parsed once per connection and immutable afterwards.
 * Unknown {@code deltaview.*} keys are errors, so a typo never silently does nothing.
 */
public final class DeltaviewOptions {

  /** Every option key starts with this; keys without it belong to pgjdbc. */
  public static final String PREFIX = "deltaview.";
  public static final String MODE = PREFIX + "mode";
  public static final String CONSISTENCY = PREFIX + "consistency";
  public static final String STRONG_TIMEOUT_MS = PREFIX + "strongTimeoutMs";
  public static final String ENGINE = PREFIX + "engine";
  public static final String AUTO_CREATE = PREFIX + "autoCreate";
  public static final String AUTO_CREATE_MAX = PREFIX + "autoCreate.max";
  public static final String MAX_RETAINED_WAL = PREFIX + "maxRetainedWal";
  public static final String VIEW_ENGINE = PREFIX + "viewEngine";
  /** What {@code deltaview.viewEngine} may name: a backend's name as {@code WITH (engine = '…')} takes it. */
  private static final Pattern ENGINE_NAME = Pattern.compile("[a-z][a-z0-9_]{0,62}");
  /** {@link #maxRetainedWal()} when there is no limit. */
  public static final long UNLIMITED = -1;
  /** A size: digits, then an optional unit (see {@link #size}). */
  private static final Pattern SIZE = Pattern.compile("(\\d{1,19})\\s*(|B|KB|MB|GB|TB)", Pattern.CASE_INSENSITIVE);

  /**
   * Which queries Deltaview routes: {@code all} of them, only those marked {@code opt-in} (a
   * {@code /*+ incremental *&#47;} hint or an {@code @Incremental} / {@code Deltaview.optIn()} scope; the
   * rest pass through unparsed), or none ({@code off} makes the driver a pass-through to pgjdbc).
   */
  public enum Mode { ALL, OPT_IN, OFF }

  /**
   * Whether a rewritten query may read a result table that lags the base tables: {@code eventual} whatever it
   * holds, {@code strong} only once it reflects every commit before the query, {@code bounded(<ms>)} only while
   * it lags by at most that much, {@code read-your-writes} only once it reflects this connection's own commits
   * (see {@link ReadConsistency}); otherwise the query goes to the base tables.
   */
  public enum Consistency { EVENTUAL, STRONG, BOUNDED, READ_YOUR_WRITES }

  /** Where view maintenance runs: inside this JVM, or nowhere (another process maintains the views). */
  public enum Engine { EMBEDDED, NONE }

  public static final DeltaviewOptions DEFAULTS =
      new DeltaviewOptions(Mode.ALL, ReadConsistency.EVENTUAL, 5000, Engine.EMBEDDED, true, 50, UNLIMITED,
          "embedded");

  private final Mode mode;
  private final ReadConsistency consistency;
  private final long strongTimeoutMs;
  private final Engine engine;
  private final boolean autoCreate;
  private final long autoCreateMax;
  private final long maxRetainedWal;
  private final String viewEngine;

  private DeltaviewOptions(Mode mode, ReadConsistency consistency, long strongTimeoutMs, Engine engine,
      boolean autoCreate, long autoCreateMax, long maxRetainedWal, String viewEngine) {
    this.mode = mode;
    this.consistency = consistency;
    this.strongTimeoutMs = strongTimeoutMs;
    this.engine = engine;
    this.autoCreate = autoCreate;
    this.autoCreateMax = autoCreateMax;
    this.maxRetainedWal = maxRetainedWal;
    this.viewEngine = viewEngine;
  }

  /** Whether {@code key} is in Deltaview's namespace (and so is never passed to pgjdbc). */
  public static boolean isDeltaviewKey(String key) {
    return key.startsWith(PREFIX);
  }

  /**
   * Parses {@code deltaview.*} entries; every key in {@code options} must be one of ours.
   *
   * @throws SQLException {@code 42704} for an unknown key, {@code 22023} for an invalid value
   */
  public static DeltaviewOptions parse(Map<String, String> options) throws SQLException {
    Mode mode = DEFAULTS.mode;
    ReadConsistency consistency = DEFAULTS.consistency;
    long strongTimeoutMs = DEFAULTS.strongTimeoutMs;
    Engine engine = DEFAULTS.engine;
    boolean autoCreate = DEFAULTS.autoCreate;
    long autoCreateMax = DEFAULTS.autoCreateMax;
    long maxRetainedWal = DEFAULTS.maxRetainedWal;
    String viewEngine = DEFAULTS.viewEngine;
    for (Map.Entry<String, String> e : options.entrySet()) {
      String key = e.getKey();
      String value = e.getValue() == null ? "" : e.getValue().trim();
      switch (key) {
        case MODE -> mode = choice(key, value, Mode.class);
        case CONSISTENCY -> consistency = consistency(key, value);
        case ENGINE -> engine = choice(key, value, Engine.class);
        case STRONG_TIMEOUT_MS -> strongTimeoutMs = nonNegative(key, value, "a whole number of milliseconds");
        case AUTO_CREATE -> autoCreate = bool(key, value);
        case AUTO_CREATE_MAX -> autoCreateMax = nonNegative(key, value, "a whole number of views");
        case MAX_RETAINED_WAL -> maxRetainedWal = size(key, value);
        case VIEW_ENGINE -> viewEngine = engineName(key, value);
        default -> throw new SQLException("Unknown Deltaview option " + key + "; known options are "
            + String.join(", ", MODE, CONSISTENCY, STRONG_TIMEOUT_MS, ENGINE, AUTO_CREATE, AUTO_CREATE_MAX,
                MAX_RETAINED_WAL, VIEW_ENGINE), SqlStates.UNDEFINED_OBJECT);
      }
    }
    return new DeltaviewOptions(mode, consistency, strongTimeoutMs, engine, autoCreate, autoCreateMax,
        maxRetainedWal, viewEngine);
  }

  /** The allowed values of an enum-valued option, for messages and property info: {@code OPT_IN} is opt-in. */
  static String[] allowed(Class<? extends Enum<?>> type) {
    return Arrays.stream(type.getEnumConstants()).map(DeltaviewOptions::spelling).toArray(String[]::new);
  }

  /** How an option value is written: lower case, {@code -} for {@code _}. */
  static String spelling(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The values {@code deltaview.consistency} takes, as they are written. */
  static String[] consistencies() {
    return new String[] {ReadConsistency.EVENTUAL.toString(), ReadConsistency.STRONG.toString(),
        ReadConsistency.BOUNDED_SPELLING, ReadConsistency.READ_YOUR_WRITES.toString()};
  }

  private static ReadConsistency consistency(String key, String value) throws SQLException {
    ReadConsistency c = ReadConsistency.parse(value);
    if (c == null) {
      throw new SQLException("Invalid value '" + value + "' for " + key + "; allowed: "
          + String.join(" | ", consistencies()) + " (a whole number of milliseconds, e.g. bounded(500))",
          SqlStates.INVALID_PARAMETER_VALUE);
    }
    return c;
  }

  private static <E extends Enum<E>> E choice(String key, String value, Class<E> type) throws SQLException {
    for (E c : type.getEnumConstants()) {
      if (spelling(c).equalsIgnoreCase(value)) {
        return c;
      }
    }
    throw new SQLException("Invalid value '" + value + "' for " + key + "; allowed: "
        + Arrays.stream(allowed(type)).collect(Collectors.joining(" | ")),
        SqlStates.INVALID_PARAMETER_VALUE);
  }

  /** An engine's name, in lower case; whether this process has such an engine is told when a view is created. */
  private static String engineName(String key, String value) throws SQLException {
    String name = value.toLowerCase(Locale.ROOT);
    if (ENGINE_NAME.matcher(name).matches()) {
      return name;
    }
    throw new SQLException("Invalid value '" + value + "' for " + key + "; allowed: the name of an engine, such as"
        + " embedded or flink", SqlStates.INVALID_PARAMETER_VALUE);
  }

  private static boolean bool(String key, String value) throws SQLException {
    if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
      return Boolean.parseBoolean(value);
    }
    throw new SQLException("Invalid value '" + value + "' for " + key + "; allowed: true | false",
        SqlStates.INVALID_PARAMETER_VALUE);
  }

  private static long nonNegative(String key, String value, String what) throws SQLException {
    try {
      long n = Long.parseLong(value);
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // reported below, with the option's name
    }
    throw new SQLException("Invalid value '" + value + "' for " + key
        + "; allowed: " + what + " >= 0", SqlStates.INVALID_PARAMETER_VALUE);
  }

  /**
   * A number of bytes as PostgreSQL writes memory settings: a whole number with an optional unit {@code B},
   * {@code kB}, {@code MB}, {@code GB} or {@code TB} (powers of 1024, any case, a space allowed before it), or
   * {@code unlimited} / {@code -1}.
   */
  private static long size(String key, String value) throws SQLException {
    if (value.equalsIgnoreCase("unlimited") || value.equals("-1")) {
      return UNLIMITED;
    }
    Matcher m = SIZE.matcher(value);
    if (m.matches()) {
      String unit = m.group(2).toUpperCase(Locale.ROOT);
      int shift = switch (unit) {
        case "", "B" -> 0;
        case "KB" -> 10;
        case "MB" -> 20;
        case "GB" -> 30;
        default -> 40; // TB
      };
      try {
        long n = Long.parseLong(m.group(1));
        if (n > 0 && n <= (Long.MAX_VALUE >> shift)) {
          return n << shift;
        }
      } catch (NumberFormatException ignored) {
        // too long: reported below
      }
    }
    throw new SQLException("Invalid value '" + value + "' for " + key + "; allowed: a size in bytes > 0 with an"
        + " optional unit B, kB, MB, GB or TB (e.g. 10GB), or unlimited", SqlStates.INVALID_PARAMETER_VALUE);
  }

  public Mode mode() {
    return mode;
  }

  /** The kind of the connection's consistency; {@link #readConsistency()} has its bound too. */
  public Consistency consistency() {
    return consistency.kind();
  }

  /** The consistency of the connection's reads, unless a query's mark names another. */
  public ReadConsistency readConsistency() {
    return consistency;
  }

  /**
   * How long a strong-consistency read waits for its view to catch up before it passes through; also how long
   * a read-your-writes read waits for the engine to apply the connection's last write.
   */
  public long strongTimeoutMs() {
    return strongTimeoutMs;
  }

  public Engine engine() {
    return engine;
  }

  /** Whether a marked query that no view answers makes Deltaview create a view for it in the background. */
  public boolean autoCreate() {
    return autoCreate;
  }

  /** At most this many automatically created views per database. */
  public long autoCreateMax() {
    return autoCreateMax;
  }

  /**
   * The most WAL (bytes) the database's slot may retain before the engine stops maintaining its views and drops
   * the slot; {@link #UNLIMITED} for no limit. The engine takes it from the connection that starts it.
   */
  public long maxRetainedWal() {
    return maxRetainedWal;
  }

  /**
   * The engine that maintains a view created without {@code WITH (engine = '…')} through this connection, and the
   * views Deltaview creates by itself for it ({@code embedded} by default; {@code flink} where {@code
   * deltaview-flink} is on the maintaining process's class path).
   */
  public String viewEngine() {
    return viewEngine;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DeltaviewOptions other && mode == other.mode && consistency.equals(other.consistency)
        && strongTimeoutMs == other.strongTimeoutMs && engine == other.engine && autoCreate == other.autoCreate
        && autoCreateMax == other.autoCreateMax && maxRetainedWal == other.maxRetainedWal
        && viewEngine.equals(other.viewEngine);
  }

  @Override
  public int hashCode() {
    return Objects.hash(mode, consistency, strongTimeoutMs, engine, autoCreate, autoCreateMax, maxRetainedWal,
        viewEngine);
  }

  @Override
  public String toString() {
    return MODE + "=" + spelling(mode) + ", " + CONSISTENCY + "=" + consistency + ", "
        + STRONG_TIMEOUT_MS + "=" + strongTimeoutMs + ", " + ENGINE + "=" + spelling(engine) + ", " + AUTO_CREATE
        + "=" + autoCreate + ", " + AUTO_CREATE_MAX + "=" + autoCreateMax + ", " + MAX_RETAINED_WAL + "="
        + (maxRetainedWal == UNLIMITED ? "unlimited" : Long.toString(maxRetainedWal)) + ", " + VIEW_ENGINE + "="
        + viewEngine;
  }
}
