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
 * Tells, once per reporting interval, how far behind PostgreSQL the view's job reads: the largest, over its sources,
 * of Flink's {@value #METRIC} gauge (Flink CDC sets it, for each change it fetches, to the time between the change's
 * commit in PostgreSQL and the fetch). Runs inside the Flink JVM of a view in local mode, where {@link FlinkJobMain}
 * passes the figure on to the engine on its standard output; configured through {@link #configure}.
 */
public final class LagReporter implements MetricReporter, Scheduled {

  /** The source metric read. */
  static final String METRIC = "currentFetchEventTimeLag";

  /** Where each interval's figure goes: set by {@link FlinkJobMain} before the job starts. */
  static volatile LongConsumer sink = lag -> { };

  private final Set<Gauge<?>> gauges = ConcurrentHashMap.newKeySet();

  /** Adds this reporter, every {@code interval} (Flink's duration syntax, e.g. {@code 1 s}), to {@code config}. */
  static void configure(java.util.Map<String, String> config, String interval) {
    config.put("metrics.reporter.deltaview_lag.factory.class", Factory.class.getName());
    config.put("metrics.reporter.deltaview_lag.interval", interval);
  }

  @Override
  public void open(MetricConfig config) {
  }

  @Override
  public void close() {
    gauges.clear();
  }

  @Override
  public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
    if (METRIC.equals(name) && metric instanceof Gauge<?> gauge) {
      gauges.add(gauge);
    }
  }

  @Override
  public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
    if (metric instanceof Gauge<?> gauge) {
      gauges.remove(gauge);
    }
  }

  /** Reports the largest known lag; nothing while no source has fetched a change yet (the gauges say -1 or 0). */
  @Override
  public void report() {
    long max = -1;
    for (Gauge<?> g : gauges) {
      Object v = g.getValue();
      if (v instanceof Number n && n.longValue() > max) {
        max = n.longValue();
      }
    }
    if (max > 0) {
      sink.accept(max);
    }
  }

  /** How Flink creates the reporter ({@code metrics.reporter.<name>.factory.class}). */
  public static final class Factory implements MetricReporterFactory {
    @Override
    public MetricReporter createMetricReporter(Properties properties) {
      return new LagReporter();
    }
  }
}
