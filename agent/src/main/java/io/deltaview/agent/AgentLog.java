package io.deltaview.agent;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The agent's output: lines on standard error prefixed {@code deltaview-agent:}, each kind of problem reported
 * once per JVM. Standard error rather than {@code System.Logger}, because touching {@code java.util.logging}
 * from {@code premain} would initialise it before the application configures its own log manager.
 */
final class AgentLog {

  static final String PREFIX = "deltaview-agent: ";
  private static final Set<String> REPORTED = ConcurrentHashMap.newKeySet();
  private static volatile boolean verbose;

  private AgentLog() {
  }

  static void verbose(boolean on) {
    verbose = on;
  }

  static boolean isVerbose() {
    return verbose;
  }

  /** Prints {@code message} unless a message with the same {@code key} was printed before; true if printed. */
  static boolean once(String key, String message) {
    if (!REPORTED.add(key)) {
      return false;
    }
    System.err.println(PREFIX + message);
    return true;
  }

  /** Prints {@code message} only with {@code deltaview.agent.verbose=true}. */
  static void debug(String message) {
    if (verbose) {
      System.err.println(PREFIX + message);
    }
  }

  /** A throwable as one line: its class, message and first cause. */
  static String describe(Throwable t) {
    StringBuilder sb = new StringBuilder(t.getClass().getName());
    if (t.getMessage() != null) {
      sb.append(": ").append(t.getMessage());
    }
    Throwable cause = t.getCause();
    if (cause != null && cause != t) {
      sb.append(" (caused by ").append(cause.getClass().getName());
      if (cause.getMessage() != null) {
        sb.append(": ").append(cause.getMessage());
      }
      sb.append(')');
    }
    return sb.toString().replace('\n', ' ');
  }
}
