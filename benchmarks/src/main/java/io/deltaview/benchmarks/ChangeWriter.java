package io.deltaview.benchmarks;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * The maintenance benchmarks' writer: transactions of {@code changesPerTxn} row changes on the demo data, half
 * inserted order lines, half lines moved between orders (hence between the demo view's groups), committed one
 * after the other as fast as the connection goes.
 */
final class ChangeWriter {

  private ChangeWriter() {
  }

  /**
   * Commits {@code txns} transactions. Inserted ids start at {@code idBase} and follow on from batch
   * {@code insertBatch} (each batch has {@code txns} transactions); moved lines are picked by {@code moveBatch}.
   */
  static void write(Connection plain, int txns, int changesPerTxn, int idBase, int insertBatch, int moveBatch,
      int lineCount, int orderCount) throws SQLException {
    int inserts = changesPerTxn / 2;
    int updates = changesPerTxn - inserts;
    plain.setAutoCommit(false);
    try (PreparedStatement insert = plain.prepareStatement("INSERT INTO order_lines"
            + " SELECT g, 1 + (g::bigint * 7919) % ?, 'kiwi', 1 + g % 9, 12.50, NULL FROM generate_series(?, ?) g");
         PreparedStatement move = plain.prepareStatement("UPDATE order_lines"
            + " SET order_id = 1 + (order_id * 31 + ?) % ?, qty = qty + 1 WHERE id BETWEEN ? AND ?")) {
      for (int t = 0; t < txns; t++) {
        int from = idBase + (insertBatch * txns + t) * inserts + 1;
        insert.setInt(1, orderCount);
        insert.setInt(2, from);
        insert.setInt(3, from + inserts - 1);
        insert.executeUpdate();
        int firstMoved = 1 + (int) ((long) (moveBatch * txns + t) * updates % Math.max(1, lineCount - updates));
        move.setInt(1, t);
        move.setInt(2, orderCount);
        move.setInt(3, firstMoved);
        move.setInt(4, firstMoved + updates - 1);
        move.executeUpdate();
        plain.commit();
      }
    } finally {
      plain.setAutoCommit(true);
    }
  }
}
