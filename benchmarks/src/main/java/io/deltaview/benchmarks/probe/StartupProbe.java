package io.deltaview.benchmarks.probe;

/**
 * The smallest JDBC application start: loads pgjdbc's driver class (which the agent instruments) and exits.
 * {@link io.deltaview.benchmarks.AgentCost} times whole JVM runs of it with and without the agent.
 */
public final class StartupProbe {

  private StartupProbe() {
  }

  public static void main(String[] args) throws Exception {
    Class.forName("org.postgresql.Driver");
  }
}
