package io.deltaview.driver.jdbc;

import java.io.InputStream;
import java.io.Reader;
import java.math.BigDecimal;
import java.net.URL;
import java.sql.Array;
import java.sql.Blob;
import java.sql.Clob;
import java.sql.Date;
import java.sql.NClob;
import java.sql.Ref;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.RowId;
import java.sql.SQLException;
import java.sql.SQLType;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Statement;
import java.sql.Time;
import java.sql.Timestamp;
import java.util.Calendar;
import java.util.Map;

/** A pgjdbc result set that reports the wrapping statement instead of the raw one. */
final class ResultSetWrapper implements ResultSet, DeltaviewWrapper {

  private final ResultSet raw;
  /** Null for result sets of {@link java.sql.DatabaseMetaData}. */
  private final Statement statement;

  ResultSetWrapper(ResultSet raw, Statement statement) {
    this.raw = raw;
    this.statement = statement;
  }

  @Override
  public Statement getStatement() {
    return statement;
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    return iface.isInstance(this) ? iface.cast(this) : raw.unwrap(iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    return iface.isInstance(this) || raw.isWrapperFor(iface);
  }

  @Override
  public String toString() {
    return raw.toString();
  }

  // ---- plain delegation ----

  @Override
  public boolean next() throws SQLException {
    return raw.next();
  }

  @Override
  public void close() throws SQLException {
    raw.close();
  }

  @Override
  public boolean wasNull() throws SQLException {
    return raw.wasNull();
  }

  @Override
  public String getString(int columnIndex) throws SQLException {
    return raw.getString(columnIndex);
  }

  @Override
  public boolean getBoolean(int columnIndex) throws SQLException {
    return raw.getBoolean(columnIndex);
  }

  @Override
  public byte getByte(int columnIndex) throws SQLException {
    return raw.getByte(columnIndex);
  }

  @Override
  public short getShort(int columnIndex) throws SQLException {
    return raw.getShort(columnIndex);
  }

  @Override
  public int getInt(int columnIndex) throws SQLException {
    return raw.getInt(columnIndex);
  }

  @Override
  public long getLong(int columnIndex) throws SQLException {
    return raw.getLong(columnIndex);
  }

  @Override
  public float getFloat(int columnIndex) throws SQLException {
    return raw.getFloat(columnIndex);
  }

  @Override
  public double getDouble(int columnIndex) throws SQLException {
    return raw.getDouble(columnIndex);
  }

  @Override
  @Deprecated
  public BigDecimal getBigDecimal(int columnIndex, int scale) throws SQLException {
    return raw.getBigDecimal(columnIndex, scale);
  }

  @Override
  public byte[] getBytes(int columnIndex) throws SQLException {
    return raw.getBytes(columnIndex);
  }

  @Override
  public Date getDate(int columnIndex) throws SQLException {
    return raw.getDate(columnIndex);
  }

  @Override
  public Time getTime(int columnIndex) throws SQLException {
    return raw.getTime(columnIndex);
  }

  @Override
  public Timestamp getTimestamp(int columnIndex) throws SQLException {
    return raw.getTimestamp(columnIndex);
  }

  @Override
  public InputStream getAsciiStream(int columnIndex) throws SQLException {
    return raw.getAsciiStream(columnIndex);
  }

  @Override
  @Deprecated
  public InputStream getUnicodeStream(int columnIndex) throws SQLException {
    return raw.getUnicodeStream(columnIndex);
  }

  @Override
  public InputStream getBinaryStream(int columnIndex) throws SQLException {
    return raw.getBinaryStream(columnIndex);
  }

  @Override
  public String getString(String columnName) throws SQLException {
    return raw.getString(columnName);
  }

  @Override
  public boolean getBoolean(String columnName) throws SQLException {
    return raw.getBoolean(columnName);
  }

  @Override
  public byte getByte(String columnName) throws SQLException {
    return raw.getByte(columnName);
  }

  @Override
  public short getShort(String columnName) throws SQLException {
    return raw.getShort(columnName);
  }

  @Override
  public int getInt(String columnName) throws SQLException {
    return raw.getInt(columnName);
  }

  @Override
  public long getLong(String columnName) throws SQLException {
    return raw.getLong(columnName);
  }

  @Override
  public float getFloat(String columnName) throws SQLException {
    return raw.getFloat(columnName);
  }

  @Override
  public double getDouble(String columnName) throws SQLException {
    return raw.getDouble(columnName);
  }

  @Override
  @Deprecated
  public BigDecimal getBigDecimal(String columnName, int scale) throws SQLException {
    return raw.getBigDecimal(columnName, scale);
  }

  @Override
  public byte[] getBytes(String columnName) throws SQLException {
    return raw.getBytes(columnName);
  }

  @Override
  public Date getDate(String columnName) throws SQLException {
    return raw.getDate(columnName);
  }

  @Override
  public Time getTime(String columnName) throws SQLException {
    return raw.getTime(columnName);
  }

  @Override
  public Timestamp getTimestamp(String columnName) throws SQLException {
    return raw.getTimestamp(columnName);
  }

  @Override
  public InputStream getAsciiStream(String columnName) throws SQLException {
    return raw.getAsciiStream(columnName);
  }

  @Override
  @Deprecated
  public InputStream getUnicodeStream(String columnName) throws SQLException {
    return raw.getUnicodeStream(columnName);
  }

  @Override
  public InputStream getBinaryStream(String columnName) throws SQLException {
    return raw.getBinaryStream(columnName);
  }

  @Override
  public SQLWarning getWarnings() throws SQLException {
    return raw.getWarnings();
  }

  @Override
  public void clearWarnings() throws SQLException {
    raw.clearWarnings();
  }

  @Override
  public String getCursorName() throws SQLException {
    return raw.getCursorName();
  }

  @Override
  public ResultSetMetaData getMetaData() throws SQLException {
    return raw.getMetaData();
  }

  @Override
  public Object getObject(int columnIndex) throws SQLException {
    return raw.getObject(columnIndex);
  }

  @Override
  public Object getObject(String columnName) throws SQLException {
    return raw.getObject(columnName);
  }

  @Override
  public int findColumn(String columnName) throws SQLException {
    return raw.findColumn(columnName);
  }

  @Override
  public Reader getCharacterStream(int i) throws SQLException {
    return raw.getCharacterStream(i);
  }

  @Override
  public Reader getCharacterStream(String columnName) throws SQLException {
    return raw.getCharacterStream(columnName);
  }

  @Override
  public BigDecimal getBigDecimal(int columnIndex) throws SQLException {
    return raw.getBigDecimal(columnIndex);
  }

  @Override
  public BigDecimal getBigDecimal(String columnName) throws SQLException {
    return raw.getBigDecimal(columnName);
  }

  @Override
  public boolean isBeforeFirst() throws SQLException {
    return raw.isBeforeFirst();
  }

  @Override
  public boolean isAfterLast() throws SQLException {
    return raw.isAfterLast();
  }

  @Override
  public boolean isFirst() throws SQLException {
    return raw.isFirst();
  }

  @Override
  public boolean isLast() throws SQLException {
    return raw.isLast();
  }

  @Override
  public void beforeFirst() throws SQLException {
    raw.beforeFirst();
  }

  @Override
  public void afterLast() throws SQLException {
    raw.afterLast();
  }

  @Override
  public boolean first() throws SQLException {
    return raw.first();
  }

  @Override
  public boolean last() throws SQLException {
    return raw.last();
  }

  @Override
  public int getRow() throws SQLException {
    return raw.getRow();
  }

  @Override
  public boolean absolute(int index) throws SQLException {
    return raw.absolute(index);
  }

  @Override
  public boolean relative(int rows) throws SQLException {
    return raw.relative(rows);
  }

  @Override
  public boolean previous() throws SQLException {
    return raw.previous();
  }

  @Override
  public void setFetchDirection(int direction) throws SQLException {
    raw.setFetchDirection(direction);
  }

  @Override
  public int getFetchDirection() throws SQLException {
    return raw.getFetchDirection();
  }

  @Override
  public void setFetchSize(int rows) throws SQLException {
    raw.setFetchSize(rows);
  }

  @Override
  public int getFetchSize() throws SQLException {
    return raw.getFetchSize();
  }

  @Override
  public int getType() throws SQLException {
    return raw.getType();
  }

  @Override
  public int getConcurrency() throws SQLException {
    return raw.getConcurrency();
  }

  @Override
  public boolean rowUpdated() throws SQLException {
    return raw.rowUpdated();
  }

  @Override
  public boolean rowInserted() throws SQLException {
    return raw.rowInserted();
  }

  @Override
  public boolean rowDeleted() throws SQLException {
    return raw.rowDeleted();
  }

  @Override
  public void updateNull(int columnIndex) throws SQLException {
    raw.updateNull(columnIndex);
  }

  @Override
  public void updateBoolean(int columnIndex, boolean x) throws SQLException {
    raw.updateBoolean(columnIndex, x);
  }

  @Override
  public void updateByte(int columnIndex, byte x) throws SQLException {
    raw.updateByte(columnIndex, x);
  }

  @Override
  public void updateShort(int columnIndex, short x) throws SQLException {
    raw.updateShort(columnIndex, x);
  }

  @Override
  public void updateInt(int columnIndex, int x) throws SQLException {
    raw.updateInt(columnIndex, x);
  }

  @Override
  public void updateLong(int columnIndex, long x) throws SQLException {
    raw.updateLong(columnIndex, x);
  }

  @Override
  public void updateFloat(int columnIndex, float x) throws SQLException {
    raw.updateFloat(columnIndex, x);
  }

  @Override
  public void updateDouble(int columnIndex, double x) throws SQLException {
    raw.updateDouble(columnIndex, x);
  }

  @Override
  public void updateBigDecimal(int columnIndex, BigDecimal x) throws SQLException {
    raw.updateBigDecimal(columnIndex, x);
  }

  @Override
  public void updateString(int columnIndex, String x) throws SQLException {
    raw.updateString(columnIndex, x);
  }

  @Override
  public void updateBytes(int columnIndex, byte[] x) throws SQLException {
    raw.updateBytes(columnIndex, x);
  }

  @Override
  public void updateDate(int columnIndex, Date x) throws SQLException {
    raw.updateDate(columnIndex, x);
  }

  @Override
  public void updateTime(int columnIndex, Time x) throws SQLException {
    raw.updateTime(columnIndex, x);
  }

  @Override
  public void updateTimestamp(int columnIndex, Timestamp x) throws SQLException {
    raw.updateTimestamp(columnIndex, x);
  }

  @Override
  public void updateAsciiStream(int columnIndex, InputStream x, int length) throws SQLException {
    raw.updateAsciiStream(columnIndex, x, length);
  }

  @Override
  public void updateBinaryStream(int columnIndex, InputStream x, int length) throws SQLException {
    raw.updateBinaryStream(columnIndex, x, length);
  }

  @Override
  public void updateCharacterStream(int columnIndex, Reader x, int length) throws SQLException {
    raw.updateCharacterStream(columnIndex, x, length);
  }

  @Override
  public void updateObject(int columnIndex, Object x, int scale) throws SQLException {
    raw.updateObject(columnIndex, x, scale);
  }

  @Override
  public void updateObject(int columnIndex, Object x) throws SQLException {
    raw.updateObject(columnIndex, x);
  }

  @Override
  public void updateNull(String columnName) throws SQLException {
    raw.updateNull(columnName);
  }

  @Override
  public void updateBoolean(String columnName, boolean x) throws SQLException {
    raw.updateBoolean(columnName, x);
  }

  @Override
  public void updateByte(String columnName, byte x) throws SQLException {
    raw.updateByte(columnName, x);
  }

  @Override
  public void updateShort(String columnName, short x) throws SQLException {
    raw.updateShort(columnName, x);
  }

  @Override
  public void updateInt(String columnName, int x) throws SQLException {
    raw.updateInt(columnName, x);
  }

  @Override
  public void updateLong(String columnName, long x) throws SQLException {
    raw.updateLong(columnName, x);
  }

  @Override
  public void updateFloat(String columnName, float x) throws SQLException {
    raw.updateFloat(columnName, x);
  }

  @Override
  public void updateDouble(String columnName, double x) throws SQLException {
    raw.updateDouble(columnName, x);
  }

  @Override
  public void updateBigDecimal(String columnName, BigDecimal x) throws SQLException {
    raw.updateBigDecimal(columnName, x);
  }

  @Override
  public void updateString(String columnName, String x) throws SQLException {
    raw.updateString(columnName, x);
  }

  @Override
  public void updateBytes(String columnName, byte[] x) throws SQLException {
    raw.updateBytes(columnName, x);
  }

  @Override
  public void updateDate(String columnName, Date x) throws SQLException {
    raw.updateDate(columnName, x);
  }

  @Override
  public void updateTime(String columnName, Time x) throws SQLException {
    raw.updateTime(columnName, x);
  }

  @Override
  public void updateTimestamp(String columnName, Timestamp x) throws SQLException {
    raw.updateTimestamp(columnName, x);
  }

  @Override
  public void updateAsciiStream(String columnName, InputStream x, int length) throws SQLException {
    raw.updateAsciiStream(columnName, x, length);
  }

  @Override
  public void updateBinaryStream(String columnName, InputStream x, int length) throws SQLException {
    raw.updateBinaryStream(columnName, x, length);
  }

  @Override
  public void updateCharacterStream(String columnName, Reader reader, int length) throws SQLException {
    raw.updateCharacterStream(columnName, reader, length);
  }

  @Override
  public void updateObject(String columnName, Object x, int scale) throws SQLException {
    raw.updateObject(columnName, x, scale);
  }

  @Override
  public void updateObject(String columnName, Object x) throws SQLException {
    raw.updateObject(columnName, x);
  }

  @Override
  public void insertRow() throws SQLException {
    raw.insertRow();
  }

  @Override
  public void updateRow() throws SQLException {
    raw.updateRow();
  }

  @Override
  public void deleteRow() throws SQLException {
    raw.deleteRow();
  }

  @Override
  public void refreshRow() throws SQLException {
    raw.refreshRow();
  }

  @Override
  public void cancelRowUpdates() throws SQLException {
    raw.cancelRowUpdates();
  }

  @Override
  public void moveToInsertRow() throws SQLException {
    raw.moveToInsertRow();
  }

  @Override
  public void moveToCurrentRow() throws SQLException {
    raw.moveToCurrentRow();
  }

  @Override
  public Object getObject(int i, Map<String, Class<?>> map) throws SQLException {
    return raw.getObject(i, map);
  }

  @Override
  public Ref getRef(int i) throws SQLException {
    return raw.getRef(i);
  }

  @Override
  public Blob getBlob(int i) throws SQLException {
    return raw.getBlob(i);
  }

  @Override
  public Clob getClob(int i) throws SQLException {
    return raw.getClob(i);
  }

  @Override
  public Array getArray(int i) throws SQLException {
    return raw.getArray(i);
  }

  @Override
  public Object getObject(String s, Map<String, Class<?>> map) throws SQLException {
    return raw.getObject(s, map);
  }

  @Override
  public Ref getRef(String columnName) throws SQLException {
    return raw.getRef(columnName);
  }

  @Override
  public Blob getBlob(String columnName) throws SQLException {
    return raw.getBlob(columnName);
  }

  @Override
  public Clob getClob(String columnName) throws SQLException {
    return raw.getClob(columnName);
  }

  @Override
  public Array getArray(String colName) throws SQLException {
    return raw.getArray(colName);
  }

  @Override
  public Date getDate(int i, Calendar cal) throws SQLException {
    return raw.getDate(i, cal);
  }

  @Override
  public Date getDate(String c, Calendar cal) throws SQLException {
    return raw.getDate(c, cal);
  }

  @Override
  public Time getTime(int i, Calendar cal) throws SQLException {
    return raw.getTime(i, cal);
  }

  @Override
  public Time getTime(String c, Calendar cal) throws SQLException {
    return raw.getTime(c, cal);
  }

  @Override
  public Timestamp getTimestamp(int i, Calendar cal) throws SQLException {
    return raw.getTimestamp(i, cal);
  }

  @Override
  public Timestamp getTimestamp(String c, Calendar cal) throws SQLException {
    return raw.getTimestamp(c, cal);
  }

  @Override
  public URL getURL(int columnIndex) throws SQLException {
    return raw.getURL(columnIndex);
  }

  @Override
  public URL getURL(String columnName) throws SQLException {
    return raw.getURL(columnName);
  }

  @Override
  public void updateRef(int columnIndex, Ref x) throws SQLException {
    raw.updateRef(columnIndex, x);
  }

  @Override
  public void updateRef(String columnName, Ref x) throws SQLException {
    raw.updateRef(columnName, x);
  }

  @Override
  public void updateBlob(int columnIndex, Blob x) throws SQLException {
    raw.updateBlob(columnIndex, x);
  }

  @Override
  public void updateBlob(String columnName, Blob x) throws SQLException {
    raw.updateBlob(columnName, x);
  }

  @Override
  public void updateClob(int columnIndex, Clob x) throws SQLException {
    raw.updateClob(columnIndex, x);
  }

  @Override
  public void updateClob(String columnName, Clob x) throws SQLException {
    raw.updateClob(columnName, x);
  }

  @Override
  public void updateArray(int columnIndex, Array x) throws SQLException {
    raw.updateArray(columnIndex, x);
  }

  @Override
  public void updateArray(String columnName, Array x) throws SQLException {
    raw.updateArray(columnName, x);
  }

  @Override
  public RowId getRowId(int columnIndex) throws SQLException {
    return raw.getRowId(columnIndex);
  }

  @Override
  public RowId getRowId(String columnName) throws SQLException {
    return raw.getRowId(columnName);
  }

  @Override
  public void updateRowId(int columnIndex, RowId x) throws SQLException {
    raw.updateRowId(columnIndex, x);
  }

  @Override
  public void updateRowId(String columnName, RowId x) throws SQLException {
    raw.updateRowId(columnName, x);
  }

  @Override
  public int getHoldability() throws SQLException {
    return raw.getHoldability();
  }

  @Override
  public boolean isClosed() throws SQLException {
    return raw.isClosed();
  }

  @Override
  public void updateNString(int columnIndex, String nString) throws SQLException {
    raw.updateNString(columnIndex, nString);
  }

  @Override
  public void updateNString(String columnName, String nString) throws SQLException {
    raw.updateNString(columnName, nString);
  }

  @Override
  public void updateNClob(int columnIndex, NClob nClob) throws SQLException {
    raw.updateNClob(columnIndex, nClob);
  }

  @Override
  public void updateNClob(String columnName, NClob nClob) throws SQLException {
    raw.updateNClob(columnName, nClob);
  }

  @Override
  public NClob getNClob(int columnIndex) throws SQLException {
    return raw.getNClob(columnIndex);
  }

  @Override
  public NClob getNClob(String columnName) throws SQLException {
    return raw.getNClob(columnName);
  }

  @Override
  public SQLXML getSQLXML(int columnIndex) throws SQLException {
    return raw.getSQLXML(columnIndex);
  }

  @Override
  public SQLXML getSQLXML(String columnName) throws SQLException {
    return raw.getSQLXML(columnName);
  }

  @Override
  public void updateSQLXML(int columnIndex, SQLXML xmlObject) throws SQLException {
    raw.updateSQLXML(columnIndex, xmlObject);
  }

  @Override
  public void updateSQLXML(String columnName, SQLXML xmlObject) throws SQLException {
    raw.updateSQLXML(columnName, xmlObject);
  }

  @Override
  public String getNString(int columnIndex) throws SQLException {
    return raw.getNString(columnIndex);
  }

  @Override
  public String getNString(String columnName) throws SQLException {
    return raw.getNString(columnName);
  }

  @Override
  public Reader getNCharacterStream(int columnIndex) throws SQLException {
    return raw.getNCharacterStream(columnIndex);
  }

  @Override
  public Reader getNCharacterStream(String columnName) throws SQLException {
    return raw.getNCharacterStream(columnName);
  }

  @Override
  public void updateNCharacterStream(int columnIndex, Reader x, long length) throws SQLException {
    raw.updateNCharacterStream(columnIndex, x, length);
  }

  @Override
  public void updateNCharacterStream(String columnName, Reader x, long length) throws SQLException {
    raw.updateNCharacterStream(columnName, x, length);
  }

  @Override
  public void updateAsciiStream(int columnIndex, InputStream inputStream, long length) throws SQLException {
    raw.updateAsciiStream(columnIndex, inputStream, length);
  }

  @Override
  public void updateBinaryStream(int columnIndex, InputStream inputStream, long length) throws SQLException {
    raw.updateBinaryStream(columnIndex, inputStream, length);
  }

  @Override
  public void updateCharacterStream(int columnIndex, Reader reader, long length) throws SQLException {
    raw.updateCharacterStream(columnIndex, reader, length);
  }

  @Override
  public void updateAsciiStream(String columnName, InputStream inputStream, long length) throws SQLException {
    raw.updateAsciiStream(columnName, inputStream, length);
  }

  @Override
  public void updateBinaryStream(String columnName, InputStream inputStream, long length)
      throws SQLException {
    raw.updateBinaryStream(columnName, inputStream, length);
  }

  @Override
  public void updateCharacterStream(String columnName, Reader reader, long length) throws SQLException {
    raw.updateCharacterStream(columnName, reader, length);
  }

  @Override
  public void updateBlob(int columnIndex, InputStream inputStream, long length) throws SQLException {
    raw.updateBlob(columnIndex, inputStream, length);
  }

  @Override
  public void updateBlob(String columnName, InputStream inputStream, long length) throws SQLException {
    raw.updateBlob(columnName, inputStream, length);
  }

  @Override
  public void updateClob(int columnIndex, Reader reader, long length) throws SQLException {
    raw.updateClob(columnIndex, reader, length);
  }

  @Override
  public void updateClob(String columnName, Reader reader, long length) throws SQLException {
    raw.updateClob(columnName, reader, length);
  }

  @Override
  public void updateNClob(int columnIndex, Reader reader, long length) throws SQLException {
    raw.updateNClob(columnIndex, reader, length);
  }

  @Override
  public void updateNClob(String columnName, Reader reader, long length) throws SQLException {
    raw.updateNClob(columnName, reader, length);
  }

  @Override
  public void updateNCharacterStream(int columnIndex, Reader x) throws SQLException {
    raw.updateNCharacterStream(columnIndex, x);
  }

  @Override
  public void updateNCharacterStream(String columnName, Reader x) throws SQLException {
    raw.updateNCharacterStream(columnName, x);
  }

  @Override
  public void updateAsciiStream(int columnIndex, InputStream inputStream) throws SQLException {
    raw.updateAsciiStream(columnIndex, inputStream);
  }

  @Override
  public void updateBinaryStream(int columnIndex, InputStream inputStream) throws SQLException {
    raw.updateBinaryStream(columnIndex, inputStream);
  }

  @Override
  public void updateCharacterStream(int columnIndex, Reader reader) throws SQLException {
    raw.updateCharacterStream(columnIndex, reader);
  }

  @Override
  public void updateAsciiStream(String columnName, InputStream inputStream) throws SQLException {
    raw.updateAsciiStream(columnName, inputStream);
  }

  @Override
  public void updateBinaryStream(String columnName, InputStream inputStream) throws SQLException {
    raw.updateBinaryStream(columnName, inputStream);
  }

  @Override
  public void updateCharacterStream(String columnName, Reader reader) throws SQLException {
    raw.updateCharacterStream(columnName, reader);
  }

  @Override
  public void updateBlob(int columnIndex, InputStream inputStream) throws SQLException {
    raw.updateBlob(columnIndex, inputStream);
  }

  @Override
  public void updateBlob(String columnName, InputStream inputStream) throws SQLException {
    raw.updateBlob(columnName, inputStream);
  }

  @Override
  public void updateClob(int columnIndex, Reader reader) throws SQLException {
    raw.updateClob(columnIndex, reader);
  }

  @Override
  public void updateClob(String columnName, Reader reader) throws SQLException {
    raw.updateClob(columnName, reader);
  }

  @Override
  public void updateNClob(int columnIndex, Reader reader) throws SQLException {
    raw.updateNClob(columnIndex, reader);
  }

  @Override
  public void updateNClob(String columnName, Reader reader) throws SQLException {
    raw.updateNClob(columnName, reader);
  }

  @Override
  public <T> T getObject(int columnIndex, Class<T> type) throws SQLException {
    return raw.getObject(columnIndex, type);
  }

  @Override
  public <T> T getObject(String columnLabel, Class<T> type) throws SQLException {
    return raw.getObject(columnLabel, type);
  }

  @Override
  public void updateObject(int columnIndex, Object x, SQLType targetSqlType, int scaleOrLength)
      throws SQLException {
    raw.updateObject(columnIndex, x, targetSqlType, scaleOrLength);
  }

  @Override
  public void updateObject(String columnLabel, Object x, SQLType targetSqlType, int scaleOrLength)
      throws SQLException {
    raw.updateObject(columnLabel, x, targetSqlType, scaleOrLength);
  }

  @Override
  public void updateObject(int columnIndex, Object x, SQLType targetSqlType) throws SQLException {
    raw.updateObject(columnIndex, x, targetSqlType);
  }

  @Override
  public void updateObject(String columnLabel, Object x, SQLType targetSqlType) throws SQLException {
    raw.updateObject(columnLabel, x, targetSqlType);
  }

}
