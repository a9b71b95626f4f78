package io.deltaview.flink.job;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;

/**
 * What a Flink-maintained view's job is: its source and sink tables (connector, columns, key, options), the
 * {@code INSERT} that computes the view, and the Flink configuration to run it with. Built on the engine's side,
 * handed to the Flink JVM over its standard input together with the database password, which is therefore never
 * part of a command line, a file or this value.
 *
 * <p>Uses nothing but the JDK, so the engine's side can build and send it without Flink on its class path.
 */
public record JobSpec(String jobName, List<Table> sources, Table sink, String insertSql, Map<String, String> flinkConfig) {

  /** The option every table of a job is given the database password under (both connectors call it so). */
  public static final String PASSWORD_OPTION = "password";

  public JobSpec {
    Objects.requireNonNull(jobName, "jobName");
    sources = List.copyOf(sources);
    Objects.requireNonNull(sink, "sink");
    Objects.requireNonNull(insertSql, "insertSql");
    flinkConfig = Map.copyOf(flinkConfig);
  }

  /** A column of a Flink table: its name and its Flink type as Flink SQL writes it ({@code BIGINT NOT NULL}). */
  public record Column(String name, String type) {
    public Column {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(type, "type");
    }
  }

  /**
   * A Flink table of the job: {@code name} in Flink's catalog, its connector and options (never the password,
   * which {@link #withPassword} adds in the Flink JVM), columns and primary key (column names).
   */
  public record Table(String name, String connector, List<Column> columns, List<String> primaryKey,
      Map<String, String> options) {
    public Table {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(connector, "connector");
      columns = List.copyOf(columns);
      primaryKey = List.copyOf(primaryKey);
      options = Map.copyOf(new TreeMap<>(options));
      if (options.containsKey(PASSWORD_OPTION)) {
        throw new IllegalArgumentException("a job's tables never hold the password in their options");
      }
    }

    /** The options the connector is created with: these and the password. */
    public Map<String, String> withPassword(String password) {
      Map<String, String> all = new TreeMap<>(options);
      all.put(PASSWORD_OPTION, password);
      return all;
    }
  }

  /**
   * The job as Flink SQL, for logs and {@code EXPLAIN}: the tables' DDL with the password shown as
   * {@code '******'}, then the {@code INSERT}.
   */
  public String describe() {
    StringBuilder out = new StringBuilder();
    for (Table t : sources) {
      describe(out, t);
    }
    describe(out, sink);
    out.append(insertSql).append(";\n");
    return out.toString();
  }

  private static void describe(StringBuilder out, Table t) {
    out.append("CREATE TEMPORARY TABLE ").append(quoteFlink(t.name())).append(" (\n");
    for (Column c : t.columns()) {
      out.append("  ").append(quoteFlink(c.name())).append(' ').append(c.type()).append(",\n");
    }
    out.append("  PRIMARY KEY (");
    for (int i = 0; i < t.primaryKey().size(); i++) {
      out.append(i == 0 ? "" : ", ").append(quoteFlink(t.primaryKey().get(i)));
    }
    out.append(") NOT ENFORCED\n) WITH (\n  'connector' = ").append(flinkLiteral(t.connector()));
    Map<String, String> shown = new TreeMap<>(t.options());
    shown.put(PASSWORD_OPTION, "******");
    for (Map.Entry<String, String> e : shown.entrySet()) {
      out.append(",\n  ").append(flinkLiteral(e.getKey())).append(" = ").append(flinkLiteral(e.getValue()));
    }
    out.append("\n);\n");
  }

  /** A Flink SQL identifier: in backquotes, a backquote inside doubled. */
  public static String quoteFlink(String identifier) {
    return '`' + identifier.replace("`", "``") + '`';
  }

  /** A Flink SQL string literal: in single quotes, a quote inside doubled (Flink reads no backslash escapes). */
  public static String flinkLiteral(String value) {
    return '\'' + value.replace("'", "''") + '\'';
  }

  /**
   * Writes this job and {@code password} to {@code out} (the Flink JVM's standard input): the length of the
   * encoded job, then the job as properties. What follows on the stream is the runner's commands.
   */
  public void write(OutputStream out, String password) throws IOException {
    Properties p = properties();
    p.setProperty(PASSWORD_OPTION, password);
    byte[] bytes = store(p);
    DataOutputStream data = new DataOutputStream(out);
    data.writeInt(bytes.length);
    data.write(bytes);
    data.flush();
  }

  /**
   * This job as one program argument for a Flink cluster (Base64 of the properties {@link #write} writes, without
   * any password: the cluster side reads that from its own environment).
   */
  public String toArgument() throws IOException {
    return Base64.getEncoder().encodeToString(store(properties()));
  }

  /** The job {@link #toArgument} encoded. */
  public static JobSpec fromArgument(String argument) throws IOException {
    Properties p = new Properties();
    p.load(new ByteArrayInputStream(Base64.getDecoder().decode(argument)));
    if (p.containsKey(PASSWORD_OPTION)) {
      throw new IOException("a job given as a program argument never carries a password");
    }
    return spec(p);
  }

  private Properties properties() {
    Properties p = new Properties();
    p.setProperty("job.name", jobName);
    p.setProperty("insert", insertSql);
    p.setProperty("sources", Integer.toString(sources.size()));
    for (int i = 0; i < sources.size(); i++) {
      put(p, "source." + i + ".", sources.get(i));
    }
    put(p, "sink.", sink);
    flinkConfig.forEach((k, v) -> p.setProperty("flink." + k, v));
    return p;
  }

  private static byte[] store(Properties p) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    p.store(bytes, null);
    return bytes.toByteArray();
  }

  private static void put(Properties p, String prefix, Table t) {
    p.setProperty(prefix + "name", t.name());
    p.setProperty(prefix + "connector", t.connector());
    p.setProperty(prefix + "columns", Integer.toString(t.columns().size()));
    for (int i = 0; i < t.columns().size(); i++) {
      p.setProperty(prefix + "column." + i + ".name", t.columns().get(i).name());
      p.setProperty(prefix + "column." + i + ".type", t.columns().get(i).type());
    }
    p.setProperty(prefix + "keys", Integer.toString(t.primaryKey().size()));
    for (int i = 0; i < t.primaryKey().size(); i++) {
      p.setProperty(prefix + "key." + i, t.primaryKey().get(i));
    }
    t.options().forEach((k, v) -> p.setProperty(prefix + "option." + k, v));
  }

  /** A job and its password as {@link #write} wrote them. */
  public record Received(JobSpec spec, String password) {
  }

  /** Reads what {@link #write} wrote, leaving the rest of {@code in} unread. */
  public static Received read(InputStream in) throws IOException {
    DataInputStream data = new DataInputStream(in);
    int length = data.readInt();
    if (length < 0 || length > 16 << 20) {
      throw new IOException("not a Deltaview Flink job (length " + length + ")");
    }
    byte[] bytes = new byte[length];
    data.readFully(bytes);
    Properties p = new Properties();
    p.load(new ByteArrayInputStream(bytes));
    return new Received(spec(p), required(p, PASSWORD_OPTION));
  }

  private static JobSpec spec(Properties p) throws IOException {
    List<Table> sources = new ArrayList<>();
    int count = Integer.parseInt(required(p, "sources"));
    for (int i = 0; i < count; i++) {
      sources.add(table(p, "source." + i + "."));
    }
    Map<String, String> config = new LinkedHashMap<>();
    for (String k : p.stringPropertyNames()) {
      if (k.startsWith("flink.")) {
        config.put(k.substring("flink.".length()), p.getProperty(k));
      }
    }
    return new JobSpec(required(p, "job.name"), sources, table(p, "sink."), required(p, "insert"), config);
  }

  private static Table table(Properties p, String prefix) throws IOException {
    List<Column> columns = new ArrayList<>();
    int n = Integer.parseInt(required(p, prefix + "columns"));
    for (int i = 0; i < n; i++) {
      columns.add(new Column(required(p, prefix + "column." + i + ".name"), required(p, prefix + "column." + i + ".type")));
    }
    List<String> key = new ArrayList<>();
    int k = Integer.parseInt(required(p, prefix + "keys"));
    for (int i = 0; i < k; i++) {
      key.add(required(p, prefix + "key." + i));
    }
    Map<String, String> options = new TreeMap<>();
    String optionPrefix = prefix + "option.";
    for (String name : p.stringPropertyNames()) {
      if (name.startsWith(optionPrefix)) {
        options.put(name.substring(optionPrefix.length()), p.getProperty(name));
      }
    }
    return new Table(required(p, prefix + "name"), required(p, prefix + "connector"), columns, key, options);
  }

  private static String required(Properties p, String key) throws IOException {
    String v = p.getProperty(key);
    if (v == null) {
      throw new IOException("Deltaview Flink job lacks " + key);
    }
    return v;
  }
}
