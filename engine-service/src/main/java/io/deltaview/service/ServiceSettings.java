package io.deltaview.service;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * What the service runs with: the databases (plain pgjdbc URLs), the credentials, the HTTP port. Read from, each
 * overriding the one before: the environment ({@code DELTAVIEW_URL}, {@code DELTAVIEW_USER},
 * {@code DELTAVIEW_PASSWORD}, {@code DELTAVIEW_HTTP_PORT}), a properties file ({@code --config}: keys {@code url},
 * {@code user}, {@code password}, {@code http-port}), the command line. Several URLs are separated by whitespace
 * in the environment and the file, and given as several {@code --url} on the command line.
 *
 * @param urls {@code jdbc:postgresql://} URLs, one per database
 * @param user null to leave it to the URL (or pgjdbc's default)
 * @param password null to leave it to the URL
 */
record ServiceSettings(List<String> urls, String user, String password, int httpPort) {

  static final int DEFAULT_HTTP_PORT = 9464;

  static final String USAGE = """
      usage: java -jar deltaview-engine.jar --url jdbc:postgresql://HOST:PORT/DATABASE [--url ...]
                  [--user USER] [--password PASSWORD] [--http-port PORT] [--config FILE]
        --url        a database whose incremental views this process maintains (several allowed)
        --user       the login role (it must be allowed to maintain: see the README)
        --password   its password
        --http-port  the port of /health/live, /health/ready and /metrics (default 9464)
        --config     a properties file with the keys url, user, password, http-port
      Environment: DELTAVIEW_URL, DELTAVIEW_USER, DELTAVIEW_PASSWORD, DELTAVIEW_HTTP_PORT.
      The command line overrides the file, which overrides the environment.""";

  /** Arguments that cannot run the service; the message says what is wrong. */
  static final class BadArguments extends Exception {
    BadArguments(String message) {
      super(message);
    }
  }

  /** Asked for {@code --help}. */
  static final class HelpRequested extends Exception {
    HelpRequested() {
      super("help");
    }
  }

  static ServiceSettings parse(String[] args, Map<String, String> env) throws BadArguments, HelpRequested {
    List<String> urls = new ArrayList<>();
    String user = env.get("DELTAVIEW_USER");
    String password = env.get("DELTAVIEW_PASSWORD");
    String port = env.get("DELTAVIEW_HTTP_PORT");
    String envUrls = env.get("DELTAVIEW_URL");

    List<String> cliUrls = new ArrayList<>();
    String cliUser = null;
    String cliPassword = null;
    String cliPort = null;
    String configFile = null;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String name = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      if (name.equals("--help") || name.equals("-h")) {
        throw new HelpRequested();
      }
      if (!List.of("--url", "--user", "--password", "--http-port", "--config").contains(name)) {
        throw new BadArguments("unknown argument " + arg);
      }
      if (value == null) {
        if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
          throw new BadArguments(name + " needs a value");
        }
        value = args[++i];
      }
      switch (name) {
        case "--url" -> cliUrls.add(value);
        case "--user" -> cliUser = value;
        case "--password" -> cliPassword = value;
        case "--http-port" -> cliPort = value;
        default -> configFile = value;
      }
    }

    if (envUrls != null && !envUrls.isBlank()) {
      urls = split(envUrls);
    }
    if (configFile != null) {
      Properties file = load(Path.of(configFile));
      for (String key : file.stringPropertyNames()) {
        if (!List.of("url", "user", "password", "http-port").contains(key)) {
          throw new BadArguments("unknown key " + key + " in " + configFile + " (known: url, user, password,"
              + " http-port)");
        }
      }
      if (file.getProperty("url") != null) {
        urls = split(file.getProperty("url"));
      }
      user = file.getProperty("user", user);
      password = file.getProperty("password", password);
      port = file.getProperty("http-port", port);
    }
    if (!cliUrls.isEmpty()) {
      urls = cliUrls;
    }
    user = cliUser != null ? cliUser : user;
    password = cliPassword != null ? cliPassword : password;
    port = cliPort != null ? cliPort : port;

    if (urls.isEmpty()) {
      throw new BadArguments("no database: give --url jdbc:postgresql://HOST:PORT/DATABASE (or DELTAVIEW_URL)");
    }
    for (String url : urls) {
      if (url.startsWith("jdbc:deltaview:")) {
        throw new BadArguments("--url takes the plain PostgreSQL URL (jdbc:postgresql://...), not Deltaview's: "
            + url);
      }
      if (!url.startsWith("jdbc:postgresql://") || url.length() == "jdbc:postgresql://".length()) {
        throw new BadArguments("not a PostgreSQL JDBC URL (jdbc:postgresql://HOST:PORT/DATABASE): " + url);
      }
    }
    if (urls.stream().distinct().count() < urls.size()) {
      throw new BadArguments("the same --url is given twice");
    }
    int httpPort = DEFAULT_HTTP_PORT;
    if (port != null) {
      try {
        httpPort = Integer.parseInt(port.trim());
      } catch (NumberFormatException e) {
        httpPort = -1;
      }
      if (httpPort < 0 || httpPort > 65535) {
        throw new BadArguments("--http-port must be a port number (0 to 65535), not " + port);
      }
    }
    return new ServiceSettings(List.copyOf(urls), user, password, httpPort);
  }

  /** The connection properties of every database (credentials; the rest is in the URL). */
  Properties connectionProperties() {
    Properties p = new Properties();
    if (user != null) {
      p.setProperty("user", user);
    }
    if (password != null) {
      p.setProperty("password", password);
    }
    return p;
  }

  private static List<String> split(String urls) {
    List<String> out = new ArrayList<>();
    for (String u : urls.trim().split("\\s+")) {
      if (!u.isEmpty()) {
        out.add(u);
      }
    }
    return out;
  }

  private static Properties load(Path file) throws BadArguments {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (IOException e) {
      throw new BadArguments("cannot read --config " + file + ": " + e);
    }
    return p;
  }

  @Override
  public String toString() {
    return "ServiceSettings[urls=" + urls + ", user=" + user + ", password=" + (password == null ? null : "***")
        + ", httpPort=" + httpPort + "]";
  }
}
