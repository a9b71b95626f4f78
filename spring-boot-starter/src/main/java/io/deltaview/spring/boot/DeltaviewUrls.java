package io.deltaview.spring.boot;

import io.deltaview.driver.DeltaviewDriver;
import io.deltaview.driver.DeltaviewOptions;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns PostgreSQL JDBC URLs into Deltaview ones and back. Prefixes are added and removed by position, once, as
 * the driver does; query parameters other than {@code deltaview.*} are kept byte for byte.
 */
final class DeltaviewUrls {

  static final String POSTGRES_PREFIX = "jdbc:postgresql:";
  static final String DELTAVIEW_PREFIX = DeltaviewDriver.URL_PREFIX;
  private static final String JDBC = "jdbc:";
  private static final String DELTAVIEW = "deltaview:";

  private DeltaviewUrls() {
  }

  static boolean isPostgres(String url) {
    return url != null && url.startsWith(POSTGRES_PREFIX);
  }

  static boolean isDeltaview(String url) {
    return url != null && url.startsWith(DELTAVIEW_PREFIX);
  }

  /** {@code jdbc:postgresql:…} as {@code jdbc:deltaview:postgresql:…}. */
  static String toDeltaview(String postgresUrl) {
    return JDBC + DELTAVIEW + postgresUrl.substring(JDBC.length());
  }

  /** {@code jdbc:deltaview:postgresql:…} as the pgjdbc URL underneath, without its {@code deltaview.*} parameters. */
  static String toPostgres(String deltaviewUrl) {
    String url = JDBC + deltaviewUrl.substring(JDBC.length() + DELTAVIEW.length());
    return withoutParameters(url, key -> DeltaviewOptions.isDeltaviewKey(key));
  }

  /**
   * {@code url} with {@code options} as its last query parameters; a parameter of the URL with the same name is
   * removed first, so a property wins over the URL and the URL never names an option twice.
   */
  static String withOptions(String url, Map<String, String> options) {
    if (options.isEmpty()) {
      return url;
    }
    StringBuilder out = new StringBuilder(withoutParameters(url, options::containsKey));
    char separator = out.indexOf("?") < 0 ? '?' : '&';
    for (Map.Entry<String, String> option : options.entrySet()) {
      out.append(separator).append(URLEncoder.encode(option.getKey(), StandardCharsets.UTF_8)).append('=')
          .append(URLEncoder.encode(option.getValue(), StandardCharsets.UTF_8));
      separator = '&';
    }
    return out.toString();
  }

  /**
   * {@code url} up to its parameters ({@code ?} for pgjdbc, {@code ;} for some other drivers): what error messages
   * and logs show, since parameters may carry a password.
   */
  static String redacted(String url) {
    if (url == null) {
      return "(none)";
    }
    for (int i = 0; i < url.length(); i++) {
      char ch = url.charAt(i);
      if (ch == '?' || ch == ';') {
        return url.substring(0, i + 1) + "…";
      }
    }
    return url;
  }

  private static String withoutParameters(String url, java.util.function.Predicate<String> drop) {
    int query = url.indexOf('?');
    if (query < 0) {
      return url;
    }
    List<String> kept = new ArrayList<>();
    for (String parameter : url.substring(query + 1).split("&", -1)) {
      int eq = parameter.indexOf('=');
      String key = decode(eq < 0 ? parameter : parameter.substring(0, eq));
      if (!parameter.isEmpty() && !drop.test(key)) {
        kept.add(parameter);
      }
    }
    return url.substring(0, query) + (kept.isEmpty() ? "" : "?" + String.join("&", kept));
  }

  /** Decoded as the driver decodes parameter names; a malformed escape is compared as written. */
  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s;
    }
  }
}
