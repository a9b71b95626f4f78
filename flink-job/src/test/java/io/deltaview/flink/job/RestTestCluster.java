package io.deltaview.flink.job;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;

/**
 * A Flink session cluster for tests: a MiniCluster (one TaskManager with four slots) whose REST endpoint, with jar
 * upload and run (flink-runtime-web on the class path), listens on a free port of localhost. Prints {@code REST
 * <port>} on standard output once it serves, and stops when its standard input closes, so it never outlives the
 * test JVM that started it.
 */
public final class RestTestCluster {

  private RestTestCluster() {
  }

  public static void main(String[] args) throws Exception {
    PrintStream report = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    System.setOut(System.err);
    Configuration config = new Configuration();
    config.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
    config.set(RestOptions.ADDRESS, "127.0.0.1");
    config.set(RestOptions.BIND_PORT, "0");
    config.setString("web.submit.enable", "true");
    config.setString("web.cancel.enable", "true");
    MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
        .setConfiguration(config).setNumTaskManagers(1).setNumSlotsPerTaskManager(4).build());
    cluster.start();
    report.println("REST " + cluster.getRestAddress().get().getPort());
    InputStream in = System.in;
    while (in.read() >= 0) {
      // nothing is read but the end
    }
    cluster.close();
    System.exit(0);
  }
}
