package io.deltaview.it.tpch;

import io.deltaview.it.fixture.TpchGenerated;
import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.postgresql.PGConnection;

/**
 * The TPC-H schema, its data from the {@code io.trino.tpch} generator (dbgen's), and the two refresh functions:
 * RF1 inserts new orders with their line items, RF2 deletes orders with theirs. The CHAR(n) columns are declared
 * {@code varchar(n)}: blank-padded character semantics are not what this data exercises.
 */
final class TpchData {

  private static final String[] DDL = {
      "CREATE TABLE region (r_regionkey int PRIMARY KEY, r_name varchar(25) NOT NULL, r_comment varchar(152))",
      "CREATE TABLE nation (n_nationkey int PRIMARY KEY, n_name varchar(25) NOT NULL, n_regionkey int NOT NULL,"
          + " n_comment varchar(152))",
      "CREATE TABLE part (p_partkey int PRIMARY KEY, p_name varchar(55) NOT NULL, p_mfgr varchar(25) NOT NULL,"
          + " p_brand varchar(10) NOT NULL, p_type varchar(25) NOT NULL, p_size int NOT NULL,"
          + " p_container varchar(10) NOT NULL, p_retailprice numeric(15,2) NOT NULL, p_comment varchar(23) NOT NULL)",
      "CREATE TABLE supplier (s_suppkey int PRIMARY KEY, s_name varchar(25) NOT NULL, s_address varchar(40) NOT NULL,"
          + " s_nationkey int NOT NULL, s_phone varchar(15) NOT NULL, s_acctbal numeric(15,2) NOT NULL,"
          + " s_comment varchar(101) NOT NULL)",
      "CREATE TABLE partsupp (ps_partkey int NOT NULL, ps_suppkey int NOT NULL, ps_availqty int NOT NULL,"
          + " ps_supplycost numeric(15,2) NOT NULL, ps_comment varchar(199) NOT NULL,"
          + " PRIMARY KEY (ps_partkey, ps_suppkey))",
      "CREATE TABLE customer (c_custkey int PRIMARY KEY, c_name varchar(25) NOT NULL, c_address varchar(40) NOT NULL,"
          + " c_nationkey int NOT NULL, c_phone varchar(15) NOT NULL, c_acctbal numeric(15,2) NOT NULL,"
          + " c_mktsegment varchar(10) NOT NULL, c_comment varchar(117) NOT NULL)",
      "CREATE TABLE orders (o_orderkey bigint PRIMARY KEY, o_custkey int NOT NULL, o_orderstatus varchar(1) NOT NULL,"
          + " o_totalprice numeric(15,2) NOT NULL, o_orderdate date NOT NULL, o_orderpriority varchar(15) NOT NULL,"
          + " o_clerk varchar(15) NOT NULL, o_shippriority int NOT NULL, o_comment varchar(79) NOT NULL)",
      "CREATE TABLE lineitem (l_orderkey bigint NOT NULL, l_partkey int NOT NULL, l_suppkey int NOT NULL,"
          + " l_linenumber int NOT NULL, l_quantity numeric(15,2) NOT NULL, l_extendedprice numeric(15,2) NOT NULL,"
          + " l_discount numeric(15,2) NOT NULL, l_tax numeric(15,2) NOT NULL, l_returnflag varchar(1) NOT NULL,"
          + " l_linestatus varchar(1) NOT NULL, l_shipdate date NOT NULL, l_commitdate date NOT NULL,"
          + " l_receiptdate date NOT NULL, l_shipinstruct varchar(25) NOT NULL, l_shipmode varchar(10) NOT NULL,"
          + " l_comment varchar(44) NOT NULL, PRIMARY KEY (l_orderkey, l_linenumber))",
  };

  private TpchData() {
  }

  /** Creates the eight tables and loads them at {@code scaleFactor} with COPY. */
  static void load(Connection c, double scaleFactor) throws SQLException, IOException {
    try (Statement s = c.createStatement()) {
      for (String ddl : DDL) {
        s.execute(ddl);
      }
    }
    TpchGenerated.copy(c, scaleFactor, name -> name);
    try (Statement s = c.createStatement()) {
      s.execute("ANALYZE");
    }
  }

  /**
   * RF1: {@code n} new orders, each a copy of a random existing order (customer, dates, priority) under a new
   * key, with copies of that order's line items.
   */
  static void refreshInsert(Connection c, int n, Random random) throws SQLException {
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      long next;
      try (ResultSet rs = s.executeQuery("SELECT max(o_orderkey) FROM orders")) {
        rs.next();
        next = rs.getLong(1) + 1;
      }
      List<Long> sources = sample(s, n, random);
      for (long source : sources) {
        long key = next++;
        s.execute("INSERT INTO orders SELECT " + key + ", o_custkey, o_orderstatus, o_totalprice, o_orderdate,"
            + " o_orderpriority, o_clerk, o_shippriority, o_comment FROM orders WHERE o_orderkey = " + source);
        s.execute("INSERT INTO lineitem SELECT " + key + ", l_partkey, l_suppkey, l_linenumber, l_quantity,"
            + " l_extendedprice, l_discount, l_tax, l_returnflag, l_linestatus, l_shipdate, l_commitdate,"
            + " l_receiptdate, l_shipinstruct, l_shipmode, l_comment FROM lineitem WHERE l_orderkey = " + source);
      }
      c.commit();
    } finally {
      c.setAutoCommit(autoCommit);
    }
  }

  /** RF2: deletes {@code n} random orders and their line items. */
  static void refreshDelete(Connection c, int n, Random random) throws SQLException {
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      for (long key : sample(s, n, random)) {
        s.execute("DELETE FROM lineitem WHERE l_orderkey = " + key);
        s.execute("DELETE FROM orders WHERE o_orderkey = " + key);
      }
      c.commit();
    } finally {
      c.setAutoCommit(autoCommit);
    }
  }

  private static List<Long> sample(Statement s, int n, Random random) throws SQLException {
    List<Long> keys = new ArrayList<>();
    try (ResultSet rs = s.executeQuery("SELECT o_orderkey FROM orders ORDER BY o_orderkey")) {
      while (rs.next()) {
        keys.add(rs.getLong(1));
      }
    }
    List<Long> picked = new ArrayList<>();
    for (int i = 0; i < n && !keys.isEmpty(); i++) {
      picked.add(keys.remove(random.nextInt(keys.size())));
    }
    return picked;
  }
}
