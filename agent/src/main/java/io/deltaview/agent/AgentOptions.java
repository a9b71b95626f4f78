package io.deltaview.agent;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The agent's settings, from the agent argument ({@code -javaagent:deltaview-agent.jar=deltaview.mode=opt-in,...})
 * and {@code -Ddeltaview.*} system properties, a system property winning over the same key in the argument.
 *
 * <p>Keys are the driver's connection options ({@code deltaview.mode}, ...; the {@code deltaview.} prefix may be
 * left out in the argument) plus the agent's own {@code deltaview.agent.*}. The argument must be well formed and
 * name only known keys; system properties are read only for known keys, since other {@code deltaview.*}
 * properties are engine tunables. Option values are checked by the driver's own parser when the core loads.
 */
final class AgentOptions {

  static final String PREFIX = "deltaview.";
  /** The driver's connection options (DeltaviewOptions); a unit test keeps this list equal to the driver's. */
  static final List<String> CONNECTION_OPTIONS = List.of("deltaview.mode", "deltaview.consistency",
      "deltaview.strongTimeoutMs", "deltaview.engine", "deltaview.autoCreate", "deltaview.autoCreate.max",
      "deltaview.maxRetainedWal", "deltaview.viewEngine");
  /** Prints the agent's timings and decisions on standard error. */
  static final String VERBOSE = "deltaview.agent.verbose";
  static final List<String> AGENT_OPTIONS = List.of(VERBOSE);

  private final Map<String, String> connectionOptions;
  private final boolean verbose;

  private AgentOptions(Map<String, String> connectionOptions, boolean verbose) {
    this.connectionOptions = Collections.unmodifiableMap(connectionOptions);
    this.verbose = verbose;
  }

  /**
   * Resolves the settings.
   *
   * @throws IllegalArgumentException naming the problem: a malformed argument, an unknown key, a bad agent setting
   */
  static AgentOptions resolve(String agentArgument, Properties systemProperties) {
    Map<String, String> all = new LinkedHashMap<>(parseArgument(agentArgument));
    for (String key : CONNECTION_OPTIONS) {
      String value = systemProperties.getProperty(key);
      if (value != null) {
        all.put(key, value);
      }
    }
    for (String key : AGENT_OPTIONS) {
      String value = systemProperties.getProperty(key);
      if (value != null) {
        all.put(key, value);
      }
    }
    Map<String, String> connection = new LinkedHashMap<>();
    boolean verbose = false;
    for (Map.Entry<String, String> e : all.entrySet()) {
      switch (e.getKey()) {
        case VERBOSE -> verbose = bool(e.getKey(), e.getValue());
        default -> connection.put(e.getKey(), e.getValue());
      }
    }
    return new AgentOptions(connection, verbose);
  }

  /** {@code key=value} pairs separated by commas; blanks around them and empty entries are ignored. */
  static Map<String, String> parseArgument(String argument) {
    Map<String, String> out = new LinkedHashMap<>();
    if (argument == null || argument.isBlank()) {
      return out;
    }
    for (String entry : argument.split(",")) {
      if (entry.isBlank()) {
        continue;
      }
      int eq = entry.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("malformed agent argument '" + entry.trim()
            + "': expected key=value pairs separated by commas, e.g. deltaview.mode=opt-in,deltaview.consistency=strong");
      }
      String key = entry.substring(0, eq).trim();
      if (!key.startsWith(PREFIX)) {
        key = PREFIX + key;
      }
      if (!CONNECTION_OPTIONS.contains(key) && !AGENT_OPTIONS.contains(key)) {
        throw new IllegalArgumentException("unknown option " + key + " in the agent argument; known options are "
            + String.join(", ", CONNECTION_OPTIONS) + ", " + String.join(", ", AGENT_OPTIONS));
      }
      out.put(key, entry.substring(eq + 1).trim());
    }
    return out;
  }

  private static boolean bool(String key, String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (v.equals("true") || v.equals("false")) {
      return Boolean.parseBoolean(v);
    }
    throw new IllegalArgumentException("invalid value '" + value + "' for " + key + "; allowed: true | false");
  }

  /** The {@code deltaview.*} connection options to give every wrapped connection (values not yet checked). */
  Map<String, String> connectionOptions() {
    return connectionOptions;
  }

  /** {@code deltaview.mode=off}: the agent wraps nothing (and loads nothing). */
  boolean off() {
    String mode = connectionOptions.get("deltaview.mode");
    return mode != null && mode.trim().equalsIgnoreCase("off");
  }

  boolean verbose() {
    return verbose;
  }

  @Override
  public String toString() {
    return connectionOptions + (verbose ? " verbose" : "");
  }
}
