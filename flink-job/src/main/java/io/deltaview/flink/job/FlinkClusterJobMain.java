package io.deltaview.flink.job;

import java.util.Map;
import org.apache.flink.core.execution.JobClient;

/**
 * The entry point of the shaded job jar on a Flink cluster ({@code deltaview.flink.rest=http://…}): the engine
 * uploads the jar and runs this class through the cluster's REST API with the program arguments {@code --job
 * <JobSpec.toArgument()> --password-env <NAME>}. It submits the view's job ({@link FlinkJobs#submit}) and returns;
 * the job lives on in the cluster.
 *
 * <p>The database password is in neither argument: it is read here, where the cluster runs this main (its
 * JobManager), from the environment variable the second argument names, which the cluster's operator sets. Unset,
 * the job connects without a password (a database that trusts the cluster).
 */
public final class FlinkClusterJobMain {

  private FlinkClusterJobMain() {
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = options(args);
    JobSpec spec = JobSpec.fromArgument(options.get("--job"));
    String variable = options.get("--password-env");
    String password = System.getenv(variable);
    if (password == null) {
      System.err.println("Deltaview: environment variable " + variable + " is not set; job " + spec.jobName()
          + " connects to the database without a password");
      password = "";
    }
    JobClient job = FlinkJobs.submit(spec, password);
    System.err.println("Deltaview: submitted job " + job.getJobID() + " (" + spec.jobName() + ")");
  }

  /** {@code --job} and {@code --password-env}, each exactly once, and nothing else. */
  static Map<String, String> options(String[] args) {
    if (args.length != 4) {
      throw new IllegalArgumentException("usage: --job <encoded job> --password-env <variable name>");
    }
    Map<String, String> options = new java.util.HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].equals("--job") && !args[i].equals("--password-env") || options.put(args[i], args[i + 1]) != null) {
        throw new IllegalArgumentException("usage: --job <encoded job> --password-env <variable name>");
      }
    }
    return options;
  }
}
