package io.deltaview.engine.backend;

import io.deltaview.sql.SqlStates;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** The {@link ViewBackend}s on the class path, loaded once. */
public final class ViewBackends {

  /** The name of the embedded engine, which is not a {@link ViewBackend}. */
  public static final String EMBEDDED = "embedded";

  private static volatile List<ViewBackend> loaded;

  private ViewBackends() {
  }

  /** Every backend found. */
  public static List<ViewBackend> all() {
    List<ViewBackend> l = loaded;
    if (l == null) {
      List<ViewBackend> found = new ArrayList<>();
      ServiceLoader.load(ViewBackend.class, ViewBackend.class.getClassLoader()).forEach(found::add);
      l = List.copyOf(found);
      loaded = l;
    }
    return l;
  }

  /**
   * The backend called {@code name}.
   *
   * @throws SQLException {@code 22023} naming the engines there are when none is called so
   */
  public static ViewBackend named(String name) throws SQLException {
    List<String> names = new ArrayList<>();
    names.add(EMBEDDED);
    for (ViewBackend b : all()) {
      if (b.name().equals(name)) {
        return b;
      }
      names.add(b.name());
    }
    throw new SQLException("unknown engine \"" + name + "\" for an incremental view: this process has " + names
        + (name.equals("flink") ? " (Flink needs the deltaview-flink module on the class path of the process that"
        + " maintains the views)" : ""), SqlStates.INVALID_PARAMETER_VALUE);
  }
}
