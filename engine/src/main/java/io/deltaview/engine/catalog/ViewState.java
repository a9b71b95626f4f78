package io.deltaview.engine.catalog;

import java.util.Locale;

/**
 * Where a view stands, as {@code SHOW INCREMENTAL VIEWS} and the catalog ({@code deltaview.view_catalog.status}) say
 * it. Only {@link #READY} views answer queries.
 */
public enum ViewState {
  /** Its result table is being loaded from a snapshot (first load, or a reload after the stream stopped). */
  SNAPSHOTTING,
  /** Being reloaded because the replication slot was lost and replaced. */
  REBUILDING,
  /** Maintained: its result table equals its query at some commit point. */
  READY,
  /** Not maintained because of an error of its own ({@code last_error}, {@code last_error_sqlstate}). */
  FAILED;

  /** The word the catalog stores and {@code SHOW} prints. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The state stored as {@code label}; a label this version does not know (written by a newer one) reads as
   * {@link #FAILED}: never served, and the maintaining engine decides afresh when it loads the view.
   */
  public static ViewState of(String label) {
    for (ViewState s : values()) {
      if (s.label().equals(label)) {
        return s;
      }
    }
    return FAILED;
  }

  @Override
  public String toString() {
    return label();
  }
}
