package io.deltaview.rewriter.lift;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * The view Deltaview creates for a marked query: its definition (PostgreSQL SQL without parameters) and the
 * result columns that hold the lifted {@code col = ?} keys, which the rewriter then filters on.
 *
 * @param sql the view's query, in one canonical spelling (so equal shapes give equal text)
 * @param keyColumns the result-table columns of the lifted keys, in the order they were lifted (may be empty)
 */
public record LiftedView(String sql, List<String> keyColumns) {

  /** Prefix of automatic views' names. */
  public static final String NAME_PREFIX = "auto_";

  public LiftedView {
    Objects.requireNonNull(sql, "sql");
    keyColumns = List.copyOf(keyColumns);
  }

  /**
   * {@code auto_} and a short hash of the definition: queries that lift to the same view (other spacing,
   * other parameter values inlined nowhere, the same shape reached twice) share one view.
   */
  public String viewName() {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(sql.getBytes(StandardCharsets.UTF_8));
      return NAME_PREFIX + HexFormat.of().formatHex(digest, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java platform", e);
    }
  }
}
