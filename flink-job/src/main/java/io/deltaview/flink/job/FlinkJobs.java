package io.deltaview.flink.job;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.TableDescriptor;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;

/**
 * The one way a view's job is built and submitted, whether on a MiniCluster of its own ({@link FlinkJobMain}) or
 * on a Flink cluster ({@link FlinkClusterJobMain}): the sources and the sink as temporary tables, the password added
 * to their options here, in the process that submits, then the {@code INSERT}.
 */
public final class FlinkJobs {

  private FlinkJobs() {
  }

  /**
   * Submits {@code spec} with {@code password} to the execution environment of this process (a MiniCluster, or the
   * cluster that runs this jar's main) and returns without waiting for the job.
   */
  public static JobClient submit(JobSpec spec, String password) {
    Configuration config = Configuration.fromMap(spec.flinkConfig());
    config.setString("pipeline.name", spec.jobName());
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
    StreamTableEnvironment tables = StreamTableEnvironment.create(env);
    for (JobSpec.Table t : spec.sources()) {
      tables.createTemporaryTable(t.name(), descriptor(t, password));
    }
    tables.createTemporaryTable(spec.sink().name(), descriptor(spec.sink(), password));
    TableResult result = tables.executeSql(spec.insertSql());
    return result.getJobClient().orElseThrow(() -> new IllegalStateException("the INSERT started no job"));
  }

  private static TableDescriptor descriptor(JobSpec.Table t, String password) {
    Schema.Builder schema = Schema.newBuilder();
    for (JobSpec.Column c : t.columns()) {
      schema.column(c.name(), c.type());
    }
    schema.primaryKey(t.primaryKey());
    TableDescriptor.Builder d = TableDescriptor.forConnector(t.connector()).schema(schema.build());
    t.withPassword(password).forEach(d::option);
    return d.build();
  }
}
