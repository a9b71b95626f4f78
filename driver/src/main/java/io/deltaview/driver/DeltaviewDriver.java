package io.deltaview.driver;

import io.deltaview.sql.SqlStates;
import io.deltaview.driver.route.RouterFactory;
import io.deltaview.driver.runtime.DeltaviewRouterFactory;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.logging.Logger;

/**
 * The Deltaview JDBC driver: {@code jdbc:deltaview:postgresql://host:port/db?...} opens a pgjdbc
 * connection to {@code jdbc:postgresql://host:port/db?...} whose queries Deltaview may answer from
 * incrementally maintained views. Options named {@code deltaview.*} (see {@link DeltaviewOptions}) are
 * Deltaview's; every other URL parameter and property goes to pgjdbc unchanged.
 */
public final class DeltaviewDriver implements Driver {

  /** URLs this driver accepts start with this. */
  public static final String URL_PREFIX = "jdbc:deltaview:postgresql:";
  /** Removed once, at this position, to turn a Deltaview URL into a pgjdbc URL. */
  private static final String JDBC = "jdbc:";
  private static final String DELTAVIEW = "deltaview:";

  private static final DeltaviewDriver REGISTERED;

  static {
    // Register exactly once, when the class initialises (ServiceLoader or Class.forName).
    REGISTERED = new DeltaviewDriver();
    try {
      DriverManager.registerDriver(REGISTERED);
    } catch (SQLException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Driver postgres;
  private final RouterFactory routerFactory;

  /** For {@link java.util.ServiceLoader}; applications need not construct the driver. */
  public DeltaviewDriver() {
    // pgjdbc's Driver class directly: going through DriverManager could find this driver again.
    this(new org.postgresql.Driver(), new DeltaviewRouterFactory());
  }

  /** For tests: a stand-in pgjdbc and router factory. */
  DeltaviewDriver(Driver postgres, RouterFactory routerFactory) {
    this.postgres = postgres;
    this.routerFactory = routerFactory;
  }

  /** The instance registered with {@link DriverManager}. */
  static DeltaviewDriver registered() {
    return REGISTERED;
  }

  @Override
  public boolean acceptsURL(String url) {
    return url != null && url.startsWith(URL_PREFIX);
  }

  /** Returns null for URLs that are not {@code jdbc:deltaview:postgresql:}, as JDBC asks. */
  @Override
  public Connection connect(String url, Properties info) throws SQLException {
    if (!acceptsURL(url)) {
      return null;
    }
    PgjdbcVersion.check();
    Split split = split(url, info);
    DeltaviewOptions options = DeltaviewOptions.parse(split.deltaview);
    DeltaviewConnections.markInternal(split.pgProps);
    Connection raw = postgres.connect(split.pgUrl, split.pgProps);
    if (raw == null) {
      throw new SQLException("Deltaview bug: pgjdbc did not accept " + split.pgUrl,
          SqlStates.INTERNAL_ERROR);
    }
    try {
      return DeltaviewConnections.wrap(raw, split.pgUrl, split.pgProps, options, routerFactory);
    } catch (SQLException | RuntimeException | Error e) {
      try {
        raw.close();
      } catch (SQLException closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
  }

  /** A Deltaview URL and properties, separated into pgjdbc's part and Deltaview's options. */
  static final class Split {
    final String pgUrl;
    final Properties pgProps;
    final Map<String, String> deltaview;

    Split(String pgUrl, Properties pgProps, Map<String, String> deltaview) {
      this.pgUrl = pgUrl;
      this.pgProps = pgProps;
      this.deltaview = deltaview;
    }
  }

  /**
   * Removes {@code deltaview:} once, after {@code jdbc:}, and moves {@code deltaview.*} URL parameters and
   * properties out of what pgjdbc sees. Other parameters stay byte for byte; URL parameters override
   * properties, as in pgjdbc.
   */
  static Split split(String url, Properties info) {
    String pgUrl = JDBC + url.substring(JDBC.length() + DELTAVIEW.length());
    Map<String, String> deltaview = new LinkedHashMap<>();
    Properties pgProps = new Properties();
    if (info != null) {
      for (String name : info.stringPropertyNames()) {
        if (DeltaviewOptions.isDeltaviewKey(name)) {
          deltaview.put(name, info.getProperty(name));
        } else {
          pgProps.setProperty(name, info.getProperty(name));
        }
      }
    }
    int query = pgUrl.indexOf('?');
    if (query >= 0) {
      List<String> kept = new ArrayList<>();
      for (String param : pgUrl.substring(query + 1).split("&", -1)) {
        int eq = param.indexOf('=');
        String key = decode(eq < 0 ? param : param.substring(0, eq));
        if (DeltaviewOptions.isDeltaviewKey(key)) {
          deltaview.put(key, eq < 0 ? "" : decode(param.substring(eq + 1)));
        } else {
          kept.add(param);
        }
      }
      pgUrl = pgUrl.substring(0, query) + (kept.isEmpty() ? "" : "?" + String.join("&", kept));
    }
    return new Split(pgUrl, pgProps, deltaview);
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s; // pgjdbc reports malformed escapes in its own parameters; ours then fail as unknown keys
    }
  }

  /** Deltaview's options (with their current values and choices) followed by pgjdbc's. */
  @Override
  public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) throws SQLException {
    if (!acceptsURL(url)) {
      return new DriverPropertyInfo[0];
    }
    Split split = split(url, info);
    List<DriverPropertyInfo> out = new ArrayList<>();
    DeltaviewOptions d = DeltaviewOptions.DEFAULTS;
    out.add(option(split, DeltaviewOptions.MODE, DeltaviewOptions.spelling(d.mode()),
        DeltaviewOptions.allowed(DeltaviewOptions.Mode.class),
        "all: route every query through Deltaview; opt-in: only queries marked with /*+ incremental */ or"
            + " @Incremental; off: behave exactly like pgjdbc"));
    out.add(option(split, DeltaviewOptions.CONSISTENCY, d.readConsistency().toString(),
        DeltaviewOptions.consistencies(),
        "eventual: rewritten queries may read slightly stale views; strong: they wait for the view; bounded(<ms>):"
            + " served only while the views lag by at most that many milliseconds; read-your-writes: they wait for"
            + " the view to hold the connection's own committed writes"));
    out.add(option(split, DeltaviewOptions.STRONG_TIMEOUT_MS, Long.toString(d.strongTimeoutMs()), null,
        "With strong or read-your-writes consistency, how long a query waits for its view before passing"
            + " through"));
    out.add(option(split, DeltaviewOptions.ENGINE, DeltaviewOptions.spelling(d.engine()),
        DeltaviewOptions.allowed(DeltaviewOptions.Engine.class),
        "embedded: maintain views in this JVM; none: views are maintained elsewhere"));
    out.add(option(split, DeltaviewOptions.AUTO_CREATE, Boolean.toString(d.autoCreate()),
        new String[] {"true", "false"},
        "Whether a marked query that no view answers gets a view created for it in the background"));
    out.add(option(split, DeltaviewOptions.AUTO_CREATE_MAX, Long.toString(d.autoCreateMax()), null,
        "At most this many automatically created views per database"));
    out.add(option(split, DeltaviewOptions.MAX_RETAINED_WAL, "unlimited", null,
        "The most WAL the replication slot may retain (e.g. 10GB) before the engine stops maintaining the views"
            + " and drops the slot rather than fill the disk"));
    out.add(option(split, DeltaviewOptions.VIEW_ENGINE, d.viewEngine(), null,
        "The engine that maintains views created without WITH (engine = ...) and the views Deltaview creates by"
            + " itself: embedded, or flink where deltaview-flink is on the maintaining process's class path"));
    for (DriverPropertyInfo p : postgres.getPropertyInfo(split.pgUrl, split.pgProps)) {
      out.add(p);
    }
    return out.toArray(new DriverPropertyInfo[0]);
  }

  private static DriverPropertyInfo option(Split split, String key, String dflt, String[] choices,
      String description) {
    DriverPropertyInfo p = new DriverPropertyInfo(key, split.deltaview.getOrDefault(key, dflt));
    p.choices = choices;
    p.description = description;
    return p;
  }

  @Override
  public int getMajorVersion() {
    return 0;
  }

  @Override
  public int getMinorVersion() {
    return 1;
  }

  /** Not compliant, like pgjdbc itself (PostgreSQL is not SQL-92 entry level in every detail). */
  @Override
  public boolean jdbcCompliant() {
    return false;
  }

  @Override
  public Logger getParentLogger() {
    return Logger.getLogger("io.deltaview.driver");
  }
}
