package io.deltaview.engine.backend;

import io.deltaview.sql.SqlStates;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/** The {@link ViewBackend}s on the class path, loaded once. */
public final class ViewBackends {

  private static final System.Logger LOG = System.getLogger(ViewBackends.class.getName());

  /** The name of the embedded engine, which is not a {@link ViewBackend}. */
  public static final String EMBEDDED = "embedded";

  private static volatile List<ViewBackend> loaded;

  private ViewBackends() {
  }

  /**
   * Every backend found. One that cannot be loaded (a jar built against another version, a class its loader
   * cannot see) is left out with a warning: it must not keep the embedded engine from maintaining its views.
   */
  public static List<ViewBackend> all() {
    List<ViewBackend> l = loaded;
    if (l == null) {
      List<ViewBackend> found = new ArrayList<>();
      Iterator<ServiceLoader.Provider<ViewBackend>> providers =
          ServiceLoader.load(ViewBackend.class, ViewBackend.class.getClassLoader()).stream().iterator();
      while (true) {
        try {
          if (!providers.hasNext()) {
            break;
          }
          found.add(providers.next().get());
        } catch (ServiceConfigurationError | LinkageError e) {
          LOG.log(System.Logger.Level.WARNING, "Deltaview: a view backend on the class path cannot be loaded and"
              + " is left out: " + e);
        }
      }
      l = List.copyOf(found);
      loaded = l;
    }
    return l;
  }

  /** The backend called {@code name}, or null when this process has none of that name. */
  public static ViewBackend find(String name) {
    for (ViewBackend b : all()) {
      if (b.name().equals(name)) {
        return b;
      }
    }
    return null;
  }

  /**
   * The backend called {@code name}.
   *
   * @throws SQLException {@code 22023} naming the engines there are when none is called so
   */
  public static ViewBackend named(String name) throws SQLException {
    ViewBackend found = find(name);
    if (found != null) {
      return found;
    }
    List<String> names = new ArrayList<>();
    names.add(EMBEDDED);
    for (ViewBackend b : all()) {
      names.add(b.name());
    }
    throw new SQLException("unknown engine \"" + name + "\" for an incremental view: this process has " + names
        + (name.equals("flink") ? " (Flink needs the deltaview-flink module on the class path of the process that"
        + " maintains the views)" : ""), SqlStates.INVALID_PARAMETER_VALUE);
  }
}
