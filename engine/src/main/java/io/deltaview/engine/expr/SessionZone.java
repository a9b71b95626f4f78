package io.deltaview.engine.expr;

import io.deltaview.engine.compile.UnsupportedConstructException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The PostgreSQL {@code TimeZone} a view's expressions are evaluated in: the setting of the session that created
 * the view, as PostgreSQL would evaluate the view query in that session. It decides every conversion between a
 * {@code timestamp with time zone} (an instant) and local fields: casts to and from date, timestamp and text,
 * {@code extract}, {@code date_trunc}, {@code to_char}, adding days or months.
 *
 * <p>Only zone names that Java's tz database knows under the same name are reproduced; both follow the IANA
 * database, so the rules agree. A POSIX-style setting such as {@code UTC+3} or {@code <+03>-03} means the
 * opposite sign in PostgreSQL than in Java: an expression that needs such a zone is refused with
 * {@code 0A000} rather than evaluated differently. Views that convert no timestamptz never ask.
 */
public final class SessionZone {

  /** UTC: also the zone of views registered before the creator's zone was recorded. */
  public static final SessionZone UTC = new SessionZone("UTC", ZoneOffset.UTC);

  /** Java's region ids by lower case: PostgreSQL matches zone names case-insensitively. */
  private static final Map<String, String> REGION_IDS = new HashMap<>();

  static {
    for (String id : ZoneId.getAvailableZoneIds()) {
      REGION_IDS.put(id.toLowerCase(Locale.ROOT), id);
    }
  }

  private final String name;
  /** Null when Java cannot reproduce what PostgreSQL means by {@link #name}. */
  private final ZoneId zone;

  private SessionZone(String name, ZoneId zone) {
    this.name = name;
    this.zone = zone;
  }

  /** The zone PostgreSQL names {@code setting} ({@code current_setting('TimeZone')}); null means UTC. */
  public static SessionZone of(String setting) {
    if (setting == null) {
      return UTC;
    }
    String id = REGION_IDS.get(setting.trim().toLowerCase(Locale.ROOT));
    return new SessionZone(setting, id == null ? null : ZoneId.of(id));
  }

  /** The setting as PostgreSQL reported it. */
  public String name() {
    return name;
  }

  /**
   * The zone for {@code construct}, which depends on it.
   *
   * @throws UnsupportedConstructException when the setting is not a zone name Java reproduces
   */
  ZoneId require(String construct) {
    if (zone == null) {
      throw new UnsupportedConstructException(construct + " depends on the session's TimeZone, '" + name
          + "', which is not a time zone name Deltaview reproduces (create the view in a session whose"
          + " TimeZone is a name such as 'UTC' or 'Europe/Paris')");
    }
    return zone;
  }

  /** The local date and time of {@code instant} in {@code zone}, as PostgreSQL's {@code timestamp2tm} gives. */
  static LocalDateTime local(Instant instant, ZoneId zone) {
    return LocalDateTime.ofInstant(instant, zone);
  }

  /**
   * The instant of local time {@code t} in {@code zone}, resolved as PostgreSQL does: a local time skipped by a
   * jump forward takes the offset before the jump (so 02:30 becomes 03:30 of the later offset), and a local time
   * that occurs twice, at a jump back, takes the offset after it (standard time).
   */
  static Instant instant(LocalDateTime t, ZoneId zone) {
    return ZonedDateTime.ofLocal(t, zone, null).withLaterOffsetAtOverlap().toInstant();
  }

  /** The offset PostgreSQL prints for {@code instant} in {@code zone}: {@code +01}, {@code +05:30}, …. */
  static String offsetText(Instant instant, ZoneId zone) {
    int seconds = zone.getRules().getOffset(instant).getTotalSeconds();
    int abs = Math.abs(seconds);
    StringBuilder sb = new StringBuilder(seconds < 0 ? "-" : "+");
    two(sb, abs / 3600);
    if (abs % 3600 != 0) {
      two(sb.append(':'), abs / 60 % 60);
      if (abs % 60 != 0) {
        two(sb.append(':'), abs % 60);
      }
    }
    return sb.toString();
  }

  private static void two(StringBuilder sb, int n) {
    sb.append(n < 10 ? "0" : "").append(n);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SessionZone z && z.name.equals(name);
  }

  @Override
  public int hashCode() {
    return name.hashCode();
  }

  @Override
  public String toString() {
    return name;
  }
}
