package io.deltaview.driver;

import io.deltaview.rewriter.sql.SqlStates;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
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

  /** Whether Deltaview routes queries at all; {@code off} makes the driver a pass-through to pgjdbc. */
  public enum Mode { ALL, OFF }

  /** Whether a rewritten query may read a result table that lags the base tables. */
  public enum Consistency { EVENTUAL, STRONG }

  /** Where view maintenance runs: inside this JVM, or nowhere (another process maintains the views). */
  public enum Engine { EMBEDDED, NONE }

  public static final DeltaviewOptions DEFAULTS =
      new DeltaviewOptions(Mode.ALL, Consistency.EVENTUAL, 5000, Engine.EMBEDDED);

  private final Mode mode;
  private final Consistency consistency;
  private final long strongTimeoutMs;
  private final Engine engine;

  private DeltaviewOptions(Mode mode, Consistency consistency, long strongTimeoutMs, Engine engine) {
    this.mode = mode;
    this.consistency = consistency;
    this.strongTimeoutMs = strongTimeoutMs;
    this.engine = engine;
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
    Consistency consistency = DEFAULTS.consistency;
    long strongTimeoutMs = DEFAULTS.strongTimeoutMs;
    Engine engine = DEFAULTS.engine;
    for (Map.Entry<String, String> e : options.entrySet()) {
      String key = e.getKey();
      String value = e.getValue() == null ? "" : e.getValue().trim();
      switch (key) {
        case MODE -> mode = choice(key, value, Mode.class);
        case CONSISTENCY -> consistency = choice(key, value, Consistency.class);
        case ENGINE -> engine = choice(key, value, Engine.class);
        case STRONG_TIMEOUT_MS -> strongTimeoutMs = nonNegative(key, value);
        default -> throw new SQLException("Unknown Deltaview option " + key + "; known options are "
            + String.join(", ", MODE, CONSISTENCY, STRONG_TIMEOUT_MS, ENGINE),
            SqlStates.UNDEFINED_OBJECT);
      }
    }
    return new DeltaviewOptions(mode, consistency, strongTimeoutMs, engine);
  }

  /** The allowed values of an enum-valued option, lower-case, for messages and property info. */
  static String[] allowed(Class<? extends Enum<?>> type) {
    return Arrays.stream(type.getEnumConstants()).map(c -> c.name().toLowerCase(Locale.ROOT))
        .toArray(String[]::new);
  }

  private static <E extends Enum<E>> E choice(String key, String value, Class<E> type) throws SQLException {
    for (E c : type.getEnumConstants()) {
      if (c.name().equalsIgnoreCase(value)) {
        return c;
      }
    }
    throw new SQLException("Invalid value '" + value + "' for " + key + "; allowed: "
        + Arrays.stream(allowed(type)).collect(Collectors.joining(" | ")),
        SqlStates.INVALID_PARAMETER_VALUE);
  }

  private static long nonNegative(String key, String value) throws SQLException {
    try {
      long n = Long.parseLong(value);
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // reported below, with the option's name
    }
    throw new SQLException("Invalid value '" + value + "' for " + key
        + "; allowed: a whole number of milliseconds >= 0", SqlStates.INVALID_PARAMETER_VALUE);
  }

  public Mode mode() {
    return mode;
  }

  public Consistency consistency() {
    return consistency;
  }

  /** How long a strong-consistency read waits for its view to catch up before it passes through. */
  public long strongTimeoutMs() {
    return strongTimeoutMs;
  }

  public Engine engine() {
    return engine;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DeltaviewOptions other && mode == other.mode && consistency == other.consistency
        && strongTimeoutMs == other.strongTimeoutMs && engine == other.engine;
  }

  @Override
  public int hashCode() {
    return ((mode.hashCode() * 31 + consistency.hashCode()) * 31 + Long.hashCode(strongTimeoutMs)) * 31
        + engine.hashCode();
  }

  @Override
  public String toString() {
    return MODE + "=" + mode.name().toLowerCase(Locale.ROOT) + ", " + CONSISTENCY + "="
        + consistency.name().toLowerCase(Locale.ROOT) + ", " + STRONG_TIMEOUT_MS + "=" + strongTimeoutMs
        + ", " + ENGINE + "=" + engine.name().toLowerCase(Locale.ROOT);
  }
}
