package io.deltaview.flink.job;

import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;
import org.apache.flink.metrics.reporter.Scheduled;

/**
 * Tells, once per reporting interval, what the engine needs to know of the view's job: how far behind PostgreSQL
 * it reads, the largest, over its sources, of Flink's {@value #LAG} gauge (Flink CDC sets it, for each change it
 * fetches, to the time between the change's commit in PostgreSQL and the fetch), and how often the job restarted
 * from a checkpoint ({@value #RESTARTS}). Runs inside the Flink JVM of a view in local mode, where {@link
 * FlinkJobMain} passes the figures on to the engine on its standard output; configured through {@link #configure}.
 */
public final class JobMetricsReporter implements MetricReporter, Scheduled {

  /** The source metric of the lag. */
  static final String LAG = "currentFetchEventTimeLag";
  /** The job metric of its restarts. */
  static final String RESTARTS = "numRestarts";

  /** Where each interval's lag goes: set by {@link FlinkJobMain} before the job starts. */
  static volatile LongConsumer lagSink = lag -> { };
  /** Where each interval's restart count goes, once the job restarted. */
  static volatile LongConsumer restartSink = restarts -> { };

  private final Set<Gauge<?>> lags = ConcurrentHashMap.newKeySet();
  private final Set<Gauge<?>> restarts = ConcurrentHashMap.newKeySet();

  /** Adds this reporter, every {@code interval} (Flink's duration syntax, e.g. {@code 1 s}), to {@code config}. */
  static void configure(java.util.Map<String, String> config, String interval) {
    config.put("metrics.reporter.deltaview_job.factory.class", Factory.class.getName());
    config.put("metrics.reporter.deltaview_job.interval", interval);
  }

  @Override
  public void open(MetricConfig config) {
  }

  @Override
  public void close() {
    lags.clear();
    restarts.clear();
  }

  @Override
  public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
    if (metric instanceof Gauge<?> gauge) {
      if (LAG.equals(name)) {
        lags.add(gauge);
      } else if (RESTARTS.equals(name)) {
        restarts.add(gauge);
      }
    }
  }

  @Override
  public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
    if (metric instanceof Gauge<?> gauge) {
      lags.remove(gauge);
      restarts.remove(gauge);
    }
  }

  /**
   * Reports the largest known lag (nothing while no source has fetched a change yet: the gauges say -1 or 0) and
   * the restarts, once there were any.
   */
  @Override
  public void report() {
    long lag = largest(lags);
    if (lag > 0) {
      lagSink.accept(lag);
    }
    long restarted = largest(restarts);
    if (restarted > 0) {
      restartSink.accept(restarted);
    }
  }

  private static long largest(Set<Gauge<?>> gauges) {
    long max = -1;
    for (Gauge<?> g : gauges) {
      if (g.getValue() instanceof Number n && n.longValue() > max) {
        max = n.longValue();
      }
    }
    return max;
  }

  /** How Flink creates the reporter ({@code metrics.reporter.<name>.factory.class}). */
  public static final class Factory implements MetricReporterFactory {
    @Override
    public MetricReporter createMetricReporter(Properties properties) {
      return new JobMetricsReporter();
    }
  }
}
