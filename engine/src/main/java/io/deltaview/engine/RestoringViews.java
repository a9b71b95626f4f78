package io.deltaview.engine;

import io.deltaview.engine.view.MaintainedView;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The views whose operator state is being read from their checkpoints while maintenance starts, and which are
 * served from their result tables meanwhile, as a process that does not maintain them serves them: each table
 * holds exactly the view's result as of the position recorded with it (its status was {@code ready} when
 * maintenance stopped, and nothing writes it until the apply loop starts), so an {@code eventual} read may use
 * it. Reads that need to know how fresh it is ({@code strong}, {@code bounded}, read-your-writes) wait for the
 * apply loop or go to the base tables, as they do for any view whose freshness is unknown.
 *
 * <p>Reading a checkpoint takes time proportional to the state (seconds per few hundred megabytes); serving
 * meanwhile is what keeps a restart's time to answering queries the same whatever the views' size.
 * Immutable; replaced as a whole.
 */
final class RestoringViews {

  static final RestoringViews NONE = new RestoringViews(Map.of(), Set.of());

  private final Map<String, MaintainedView> views;
  /**
   * The views among them whose result tables reflect the same source position as each other's (none was loaded
   * from a snapshot ahead of the others since): only these are read together in one query.
   */
  private final Set<String> aligned;

  private RestoringViews(Map<String, MaintainedView> views, Set<String> aligned) {
    this.views = views;
    this.aligned = aligned;
  }

  static RestoringViews of(Collection<MaintainedView> views, Set<String> aligned) {
    if (views.isEmpty()) {
      return NONE;
    }
    Map<String, MaintainedView> byName = new LinkedHashMap<>();
    for (MaintainedView v : views) {
      byName.put(v.qualifiedName(), v);
    }
    return new RestoringViews(Map.copyOf(byName), Set.copyOf(aligned));
  }

  /** Without {@code view} (its checkpoint turned out unusable: it is rebuilt from a snapshot instead). */
  RestoringViews without(MaintainedView view) {
    if (!views.containsKey(view.qualifiedName())) {
      return this;
    }
    Map<String, MaintainedView> rest = new LinkedHashMap<>(views);
    rest.remove(view.qualifiedName());
    return rest.isEmpty() ? NONE : new RestoringViews(Map.copyOf(rest), aligned);
  }

  boolean isEmpty() {
    return views.isEmpty();
  }

  Collection<MaintainedView> views() {
    return views.values();
  }

  /** The restoring view of that name, or null. */
  MaintainedView get(String qualifiedName) {
    return views.get(qualifiedName);
  }

  /** Whether {@code qualifiedName} may be served now, alone or ({@code withOthers}) with other restoring views. */
  boolean serves(String qualifiedName, boolean withOthers) {
    return views.containsKey(qualifiedName) && (!withOthers || aligned.contains(qualifiedName));
  }
}
