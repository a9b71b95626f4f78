package io.deltaview.engine.view;

import io.deltaview.sql.SqlStates;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Whether the base tables of maintained views are still what the views were planned against and still reach
 * Deltaview complete, asked of PostgreSQL's catalog by OID: the table was not dropped (or dropped and created
 * again under its name), renamed or moved, given other partitions or inheritance children than it had (an
 * ATTACH or DETACH PARTITION, a CREATE TABLE … PARTITION OF or INHERITS, a NO INHERIT), set to a replica
 * identity other than FULL, or taken out of the publication (or put under a row filter or column list there,
 * or the publication stopped publishing some kind of change); for a table with descendants, each descendant
 * that holds rows is checked for the last two as the table itself is.
 *
 * <p>Some of these the stream reveals by itself, at the next change of the table (its Relation message, see the
 * apply loop's schema check); others it never reveals: the changes of a table that left the publication, or
 * of a partition attached since, simply never arrive, and the view would keep being served as {@code ready} with an
 * old answer. So the engine asks the catalog about once a second, and before a view is activated.
 *
 * <p>The failure messages are the ones the stream's check uses too, so a view fails the same way whichever
 * notices first.
 */
public final class BaseTableDrift {

  private BaseTableDrift() {
  }

  /**
   * The problems of {@code tables} (those with a planned OID; others are not checked), keyed by table; an
   * empty map when all is well. Three queries, whatever the number of tables.
   *
   * @param publication the publication the engine streams
   */
  public static Map<TableShape, ViewFailure> check(Connection c, String publication, Set<TableShape> tables)
      throws SQLException {
    List<TableShape> planned = new ArrayList<>();
    for (TableShape t : tables) {
      if (t.oid() != 0) {
        planned.add(t);
      }
    }
    Map<TableShape, ViewFailure> problems = new LinkedHashMap<>();
    if (planned.isEmpty()) {
      return problems;
    }
    Long[] oids = new Long[planned.size()];
    String[] schemas = new String[planned.size()];
    String[] names = new String[planned.size()];
    for (int i = 0; i < planned.size(); i++) {
      oids[i] = planned.get(i).oid();
      schemas[i] = planned.get(i).schema();
      names[i] = planned.get(i).name();
    }
    // Row filters and column lists on a publication's tables exist from PostgreSQL 15 on.
    boolean filters = c.getMetaData().getDatabaseMajorVersion() >= 15;
    String sql = "SELECT t.ord, c.oid IS NOT NULL, n.nspname, c.relname, c.relreplident,"
        + " c.relkind,"
        + " (SELECT " + (filters ? "r.prqual IS NULL AND r.prattrs IS NULL" : "true")
        + "   FROM pg_publication_rel r WHERE r.prpubid = p.oid AND r.prrelid = c.oid),"
        + " p.oid IS NOT NULL, p.pubinsert AND p.pubupdate AND p.pubdelete AND p.pubtruncate,"
        + " (SELECT c2.oid FROM pg_class c2 JOIN pg_namespace n2 ON n2.oid = c2.relnamespace"
        + "   WHERE n2.nspname = t.schema AND c2.relname = t.name)"
        + " FROM unnest(?::oid[], ?::text[], ?::text[]) WITH ORDINALITY AS t(oid, schema, name, ord)"
        + " LEFT JOIN pg_class c ON c.oid = t.oid"
        + " LEFT JOIN pg_namespace n ON n.oid = c.relnamespace"
        + " LEFT JOIN pg_publication p ON p.pubname = ?";
    Array oidArray = c.createArrayOf("bigint", oids);
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setArray(1, oidArray);
      ps.setArray(2, c.createArrayOf("text", schemas));
      ps.setArray(3, c.createArrayOf("text", names));
      ps.setString(4, publication);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          TableShape t = planned.get(rs.getInt(1) - 1);
          ViewFailure why = problem(t, publication, rs);
          if (why != null) {
            problems.put(t, why);
          }
        }
      }
    }
    checkColumns(c, oidArray, planned, problems);
    checkDescendants(c, publication, filters, oids, planned, problems);
    return problems;
  }

  /** A descendant as the catalog has it now: whether it is published whole and its replica identity. */
  private record LiveDescendant(TableShape.Descendant descendant, char identity, boolean published) {
  }

  /**
   * The descendants of each table now against those it was planned with (by OID: a partition renamed is the
   * same one): a partition attached or created, or a child added, holds rows the view never saw and whose
   * changes it was never fed; one detached or disinherited took rows out of the query without a change event.
   * Neither can be caught up from the stream: the view fails, and its rebuild loads it from a fresh snapshot
   * over the descendants there are then. With the same descendants, each one that holds rows must be published
   * whole with REPLICA IDENTITY FULL, as a base table must. Tables with a problem already are left out.
   */
  private static void checkDescendants(Connection c, String publication, boolean filters, Long[] oids,
      List<TableShape> planned, Map<TableShape, ViewFailure> problems) throws SQLException {
    Map<Long, List<LiveDescendant>> now = Descendants.of(c, oids, ", c.relreplident, EXISTS (SELECT 1"
        + " FROM pg_publication_rel r JOIN pg_publication p ON p.oid = r.prpubid WHERE p.pubname = ?"
        + " AND r.prrelid = c.oid" + (filters ? " AND r.prqual IS NULL AND r.prattrs IS NULL" : "") + ")",
        publication, (d, rs) -> new LiveDescendant(d, rs.getString(6).charAt(0), rs.getBoolean(7)));
    for (TableShape t : planned) {
      if (problems.containsKey(t)) {
        continue;
      }
      List<LiveDescendant> live = now.getOrDefault(t.oid(), List.of());
      List<Long> liveOids = new ArrayList<>();
      for (LiveDescendant d : live) {
        liveOids.add(d.descendant().oid());
      }
      List<Long> plannedOids = new ArrayList<>();
      for (TableShape.Descendant d : t.descendants()) {
        plannedOids.add(d.oid());
      }
      if (!liveOids.equals(plannedOids)) {
        problems.put(t, descendantsChanged(t, live.stream().map(LiveDescendant::descendant).toList()));
        continue;
      }
      for (LiveDescendant d : live) {
        String name = d.descendant().qualifiedName();
        ViewFailure why = !d.descendant().holdsRows() ? null
            : d.identity() != 'f' ? notFull(name, d.identity())
            : !d.published() ? unpublished(name, "it is not (or not whole) in publication " + publication,
                "ALTER PUBLICATION " + publication + " ADD TABLE " + name)
            : null;
        if (why != null) {
          problems.put(t, why);
          break;
        }
      }
    }
  }

  /** The partitions or inheritance children of {@code t} are others than the view was planned with. */
  static ViewFailure descendantsChanged(TableShape t, List<TableShape.Descendant> now) {
    return ViewFailure.retryable(SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE, "the partitions or inheritance"
        + " children of base table " + t.qualifiedName() + " changed (the view was loaded over "
        + names(t.descendants()) + ", now there are " + names(now) + "): rows attached, added or detached that"
        + " way came without change events, so the view is rebuilt from a fresh snapshot");
  }

  private static String names(List<TableShape.Descendant> descendants) {
    if (descendants.isEmpty()) {
      return "none";
    }
    StringBuilder out = new StringBuilder();
    for (TableShape.Descendant d : descendants) {
      out.append(out.length() == 0 ? "" : ", ").append(d.qualifiedName());
    }
    return out.toString();
  }

  /**
   * The columns each table's views read, as planned ({@link TableShape#columns()}: number, name, type),
   * against {@code pg_attribute} now: a column dropped, renamed or retyped fails the views reading it, whether
   * or not a change of the table has been streamed since. Tables with a problem already are left out.
   */
  private static void checkColumns(Connection c, Array oids, List<TableShape> planned,
      Map<TableShape, ViewFailure> problems) throws SQLException {
    Map<Long, Map<Integer, TableShape.Column>> now = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT a.attrelid, a.attnum, a.attname, a.atttypid,"
        + " a.atttypmod, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a"
        + " WHERE a.attrelid = ANY (?::oid[]) AND a.attnum > 0 AND NOT a.attisdropped")) {
      ps.setArray(1, oids);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          now.computeIfAbsent(rs.getLong(1), k -> new HashMap<>()).put(rs.getInt(2),
              new TableShape.Column(rs.getString(3), rs.getInt(2), rs.getInt(4), rs.getInt(5), rs.getString(6)));
        }
      }
    }
    for (TableShape t : planned) {
      if (problems.containsKey(t) || t.columns().isEmpty()) {
        continue;
      }
      Map<Integer, TableShape.Column> columns = now.getOrDefault(t.oid(), Map.of());
      for (int i = 0; i < t.columns().size(); i++) {
        if (!t.reads(i)) {
          continue;
        }
        TableShape.Column was = t.columns().get(i);
        TableShape.Column is = columns.get(was.attnum());
        ViewFailure why = is == null ? columnGone(t.qualifiedName(), was.name(), "was dropped")
            : !is.name().equals(was.name()) ? columnGone(t.qualifiedName(), was.name(), "was renamed to " + is.name())
            : retyped(was, is.typeOid(), is.typmod()) ? retyped(t.qualifiedName(), was, is.typeName())
            : null;
        if (why != null) {
          problems.put(t, why);
          break;
        }
      }
    }
  }

  /** PostgreSQL's OID of {@code character varying}: a changed length limit leaves its values as they were. */
  private static final int VARCHAR_OID = 1043;

  /** Whether a column planned as {@code was} now has another type (a varchar's length limit aside). */
  public static boolean retyped(TableShape.Column was, int typeOid, int typmod) {
    return typeOid != was.typeOid() || was.typeOid() != VARCHAR_OID && typmod != was.typmod();
  }

  /** A column the view reads is gone: {@code what} is "was dropped", "was renamed to x", …. */
  public static ViewFailure columnGone(String table, String column, String what) {
    return ViewFailure.permanent(SqlStates.FEATURE_NOT_SUPPORTED, "column " + column + " of " + table + " " + what
        + "; re-create the view");
  }

  /** A column the view reads has another type now. */
  public static ViewFailure retyped(String table, TableShape.Column was, String nowType) {
    return ViewFailure.permanent(SqlStates.DATATYPE_MISMATCH, "column " + was.name() + " of " + table
        + " changed type from " + was.typeName() + " to " + nowType + "; re-create the view");
  }

  private static ViewFailure problem(TableShape t, String publication, ResultSet rs) throws SQLException {
    String table = t.qualifiedName();
    if (!rs.getBoolean(2)) {
      rs.getLong(10);
      return rs.wasNull() ? dropped(table) : recreated(table);
    }
    if (!rs.getString(3).equals(t.schema()) || !rs.getString(4).equals(t.name())) {
      return renamed(table, rs.getString(3) + "." + rs.getString(4));
    }
    boolean partitioned = "p".equals(rs.getString(6));
    String identity = rs.getString(5);
    if (!partitioned && !"f".equals(identity)) {
      return notFull(table, identity.charAt(0));
    }
    if (!rs.getBoolean(8)) {
      return unpublished(table, "publication " + publication + " was dropped", "");
    }
    boolean whole = rs.getBoolean(7);
    boolean member = !rs.wasNull();
    // A partitioned table holds no rows and is not published itself: its partitions are (checkDescendants).
    if (!partitioned && !member) {
      return unpublished(table, "it was taken out of publication " + publication,
          "ALTER PUBLICATION " + publication + " ADD TABLE " + table);
    }
    if (!partitioned && !whole) {
      return unpublished(table, "publication " + publication + " publishes it with a row filter or column list",
          "ALTER PUBLICATION " + publication + " SET TABLE … without them");
    }
    if (!rs.getBoolean(9)) {
      return unpublished(table, "publication " + publication + " no longer publishes every kind of change"
          + " (insert, update, delete, truncate)", "ALTER PUBLICATION " + publication
          + " SET (publish = 'insert, update, delete, truncate')");
    }
    return null;
  }

  private static ViewFailure unpublished(String table, String what, String cure) {
    return ViewFailure.retryable(SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE, "changes of base table " + table
        + " no longer reach Deltaview: " + what + (cure.isEmpty() ? "; re-create the view"
        : "; run " + cure + " and the view is rebuilt, or re-create the view"));
  }

  /** The table the view was planned against is gone. */
  public static ViewFailure dropped(String table) {
    return ViewFailure.permanent(SqlStates.FEATURE_NOT_SUPPORTED, "base table " + table
        + " was dropped; re-create the view");
  }

  /** The table the view was planned against is gone, another one has its name. */
  public static ViewFailure recreated(String table) {
    return ViewFailure.permanent(SqlStates.FEATURE_NOT_SUPPORTED, "base table " + table
        + " was dropped and created again (it is another table now); re-create the view");
  }

  /** The table the view was planned against has another name (or schema) now. */
  public static ViewFailure renamed(String table, String now) {
    return ViewFailure.permanent(SqlStates.FEATURE_NOT_SUPPORTED, "base table " + table + " was renamed to "
        + now + "; re-create the view");
  }

  /** The table's replica identity is not FULL: old rows of updates and deletes are incomplete in the stream. */
  public static ViewFailure notFull(String table, char identity) {
    return ViewFailure.retryable(SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE, "base table " + table
        + " no longer has REPLICA IDENTITY FULL (it is " + identityName(identity) + "), so updates"
        + " and deletes cannot be retracted exactly; run ALTER TABLE " + table + " REPLICA IDENTITY FULL"
        + " and the view is rebuilt");
  }

  private static String identityName(char identity) {
    return switch (identity) {
      case 'd' -> "DEFAULT";
      case 'n' -> "NOTHING";
      case 'i' -> "USING INDEX";
      default -> "'" + identity + "'";
    };
  }

  /** The failure of the first of {@code v}'s base tables that has a problem; null if none has. */
  public static ViewFailure firstProblem(MaintainedView v, Map<TableShape, ViewFailure> problems) {
    for (TableShape t : v.sources()) {
      ViewFailure why = problems.get(t);
      if (why != null) {
        return why;
      }
    }
    return null;
  }

  /** The distinct planned tables of {@code views}. */
  public static Set<TableShape> sourcesOf(List<MaintainedView> views) {
    Set<TableShape> out = new LinkedHashSet<>();
    for (MaintainedView v : views) {
      out.addAll(v.sources());
    }
    return out;
  }
}
