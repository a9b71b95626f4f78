package io.deltaview.driver.jdbc;

import java.io.InputStream;
import java.io.Reader;
import java.math.BigDecimal;
import java.net.URL;
import java.sql.Array;
import java.sql.Blob;
import java.sql.CallableStatement;
import java.sql.Clob;
import java.sql.Date;
import java.sql.NClob;
import java.sql.PreparedStatement;
import java.sql.Ref;
import java.sql.RowId;
import java.sql.SQLException;
import java.sql.SQLType;
import java.sql.SQLXML;
import java.sql.Time;
import java.sql.Timestamp;
import java.util.Calendar;
import java.util.Map;

/**
 * A callable statement: routed and replayed like {@link PreparedStatementWrapper}, with OUT parameter
 * registrations and named parameters recorded too; OUT values are read from the raw statement that ran.
 */
final class CallableStatementWrapper extends PreparedStatementWrapper implements CallableStatement {

  CallableStatementWrapper(ConnectionWrapper connection, String sql, Preparer preparer) throws SQLException {
    super(connection, sql, preparer);
  }

  private CallableStatement callable() {
    return (CallableStatement) current();
  }

  /** Raw statements of this wrapper come from {@code prepareCall}, so they are callable. */
  private static CallableStatement callable(PreparedStatement raw) {
    return (CallableStatement) raw;
  }

  @Override
  public void registerOutParameter(int parameterIndex, int sqlType) throws SQLException {
    bindOut(parameterIndex, ps -> callable(ps).registerOutParameter(parameterIndex, sqlType));
  }

  @Override
  public void registerOutParameter(int parameterIndex, int sqlType, int scale) throws SQLException {
    bindOut(parameterIndex, ps -> callable(ps).registerOutParameter(parameterIndex, sqlType, scale));
  }

  @Override
  public boolean wasNull() throws SQLException {
    return callable().wasNull();
  }

  @Override
  public String getString(int parameterIndex) throws SQLException {
    return callable().getString(parameterIndex);
  }

  @Override
  public boolean getBoolean(int parameterIndex) throws SQLException {
    return callable().getBoolean(parameterIndex);
  }

  @Override
  public byte getByte(int parameterIndex) throws SQLException {
    return callable().getByte(parameterIndex);
  }

  @Override
  public short getShort(int parameterIndex) throws SQLException {
    return callable().getShort(parameterIndex);
  }

  @Override
  public int getInt(int parameterIndex) throws SQLException {
    return callable().getInt(parameterIndex);
  }

  @Override
  public long getLong(int parameterIndex) throws SQLException {
    return callable().getLong(parameterIndex);
  }

  @Override
  public float getFloat(int parameterIndex) throws SQLException {
    return callable().getFloat(parameterIndex);
  }

  @Override
  public double getDouble(int parameterIndex) throws SQLException {
    return callable().getDouble(parameterIndex);
  }

  @Override
  @Deprecated
  public BigDecimal getBigDecimal(int parameterIndex, int scale) throws SQLException {
    return callable().getBigDecimal(parameterIndex, scale);
  }

  @Override
  public byte[] getBytes(int parameterIndex) throws SQLException {
    return callable().getBytes(parameterIndex);
  }

  @Override
  public Date getDate(int parameterIndex) throws SQLException {
    return callable().getDate(parameterIndex);
  }

  @Override
  public Time getTime(int parameterIndex) throws SQLException {
    return callable().getTime(parameterIndex);
  }

  @Override
  public Timestamp getTimestamp(int parameterIndex) throws SQLException {
    return callable().getTimestamp(parameterIndex);
  }

  @Override
  public Object getObject(int parameterIndex) throws SQLException {
    return callable().getObject(parameterIndex);
  }

  @Override
  public BigDecimal getBigDecimal(int parameterIndex) throws SQLException {
    return callable().getBigDecimal(parameterIndex);
  }

  @Override
  public Object getObject(int parameterIndex, Map<String, Class<?>> map) throws SQLException {
    return callable().getObject(parameterIndex, map);
  }

  @Override
  public Ref getRef(int parameterIndex) throws SQLException {
    return callable().getRef(parameterIndex);
  }

  @Override
  public Blob getBlob(int parameterIndex) throws SQLException {
    return callable().getBlob(parameterIndex);
  }

  @Override
  public Clob getClob(int parameterIndex) throws SQLException {
    return callable().getClob(parameterIndex);
  }

  @Override
  public Array getArray(int parameterIndex) throws SQLException {
    return callable().getArray(parameterIndex);
  }

  @Override
  public Date getDate(int parameterIndex, Calendar cal) throws SQLException {
    return callable().getDate(parameterIndex, cal);
  }

  @Override
  public Time getTime(int parameterIndex, Calendar cal) throws SQLException {
    return callable().getTime(parameterIndex, cal);
  }

  @Override
  public Timestamp getTimestamp(int parameterIndex, Calendar cal) throws SQLException {
    return callable().getTimestamp(parameterIndex, cal);
  }

  @Override
  public void registerOutParameter(int parameterIndex, int sqlType, String typeName) throws SQLException {
    bindOut(parameterIndex, ps -> callable(ps).registerOutParameter(parameterIndex, sqlType, typeName));
  }

  @Override
  public void registerOutParameter(String parameterName, int sqlType) throws SQLException {
    bindNamed("out " + parameterName, ps -> callable(ps).registerOutParameter(parameterName, sqlType));
  }

  @Override
  public void registerOutParameter(String parameterName, int sqlType, int scale) throws SQLException {
    bindNamed("out " + parameterName, ps -> callable(ps).registerOutParameter(parameterName, sqlType, scale));
  }

  @Override
  public void registerOutParameter(String parameterName, int sqlType, String typeName) throws SQLException {
    bindNamed("out " + parameterName, ps -> callable(ps).registerOutParameter(parameterName, sqlType,
        typeName));
  }

  @Override
  public URL getURL(int parameterIndex) throws SQLException {
    return callable().getURL(parameterIndex);
  }

  @Override
  public void setURL(String parameterName, URL val) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setURL(parameterName, val));
  }

  @Override
  public void setNull(String parameterName, int sqlType) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setNull(parameterName, sqlType));
  }

  @Override
  public void setBoolean(String parameterName, boolean x) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setBoolean(parameterName, x));
  }

  @Override
  public void setByte(String parameterName, byte x) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setByte(parameterName, x));
  }

  @Override
  public void setShort(String parameterName, short x) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setShort(parameterName, x));
  }

  @Override
  public void setInt(String parameterName, int x) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setInt(parameterName, x));
  }

  @Override
  public void setLong(String parameterName, long x) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setLong(parameterName, x));
  }

  @Override
  public void setFloat(String parameterName, float x) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setFloat(parameterName, x));
  }

  @Override
  public void setDouble(String parameterName, double x) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setDouble(parameterName, x));
  }

  @Override
  public void setBigDecimal(String parameterName, BigDecimal x) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setBigDecimal(parameterName, x));
  }

  @Override
  public void setString(String parameterName, String x) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setString(parameterName, x));
  }

  @Override
  public void setBytes(String parameterName, byte[] x) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setBytes(parameterName, x));
  }

  @Override
  public void setDate(String parameterName, Date x) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setDate(parameterName, x));
  }

  @Override
  public void setTime(String parameterName, Time x) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setTime(parameterName, x));
  }

  @Override
  public void setTimestamp(String parameterName, Timestamp x) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setTimestamp(parameterName, x));
  }

  @Override
  public void setAsciiStream(String parameterName, InputStream x, int length) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setAsciiStream(parameterName, x, length));
  }

  @Override
  public void setBinaryStream(String parameterName, InputStream x, int length) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setBinaryStream(parameterName, x, length));
  }

  @Override
  public void setObject(String parameterName, Object x, int targetSqlType, int scale) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setObject(parameterName, x, targetSqlType, scale));
  }

  @Override
  public void setObject(String parameterName, Object x, int targetSqlType) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setObject(parameterName, x, targetSqlType));
  }

  @Override
  public void setObject(String parameterName, Object x) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setObject(parameterName, x));
  }

  @Override
  public void setCharacterStream(String parameterName, Reader reader, int length) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setCharacterStream(parameterName, reader, length));
  }

  @Override
  public void setDate(String parameterName, Date x, Calendar cal) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setDate(parameterName, x, cal));
  }

  @Override
  public void setTime(String parameterName, Time x, Calendar cal) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setTime(parameterName, x, cal));
  }

  @Override
  public void setTimestamp(String parameterName, Timestamp x, Calendar cal) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setTimestamp(parameterName, x, cal));
  }

  @Override
  public void setNull(String parameterName, int sqlType, String typeName) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setNull(parameterName, sqlType, typeName));
  }

  @Override
  public String getString(String parameterName) throws SQLException {
    return callable().getString(parameterName);
  }

  @Override
  public boolean getBoolean(String parameterName) throws SQLException {
    return callable().getBoolean(parameterName);
  }

  @Override
  public byte getByte(String parameterName) throws SQLException {
    return callable().getByte(parameterName);
  }

  @Override
  public short getShort(String parameterName) throws SQLException {
    return callable().getShort(parameterName);
  }

  @Override
  public int getInt(String parameterName) throws SQLException {
    return callable().getInt(parameterName);
  }

  @Override
  public long getLong(String parameterName) throws SQLException {
    return callable().getLong(parameterName);
  }

  @Override
  public float getFloat(String parameterName) throws SQLException {
    return callable().getFloat(parameterName);
  }

  @Override
  public double getDouble(String parameterName) throws SQLException {
    return callable().getDouble(parameterName);
  }

  @Override
  public byte[] getBytes(String parameterName) throws SQLException {
    return callable().getBytes(parameterName);
  }

  @Override
  public Date getDate(String parameterName) throws SQLException {
    return callable().getDate(parameterName);
  }

  @Override
  public Time getTime(String parameterName) throws SQLException {
    return callable().getTime(parameterName);
  }

  @Override
  public Timestamp getTimestamp(String parameterName) throws SQLException {
    return callable().getTimestamp(parameterName);
  }

  @Override
  public Object getObject(String parameterName) throws SQLException {
    return callable().getObject(parameterName);
  }

  @Override
  public BigDecimal getBigDecimal(String parameterName) throws SQLException {
    return callable().getBigDecimal(parameterName);
  }

  @Override
  public Object getObject(String parameterName, Map<String, Class<?>> map) throws SQLException {
    return callable().getObject(parameterName, map);
  }

  @Override
  public Ref getRef(String parameterName) throws SQLException {
    return callable().getRef(parameterName);
  }

  @Override
  public Blob getBlob(String parameterName) throws SQLException {
    return callable().getBlob(parameterName);
  }

  @Override
  public Clob getClob(String parameterName) throws SQLException {
    return callable().getClob(parameterName);
  }

  @Override
  public Array getArray(String parameterName) throws SQLException {
    return callable().getArray(parameterName);
  }

  @Override
  public Date getDate(String parameterName, Calendar cal) throws SQLException {
    return callable().getDate(parameterName, cal);
  }

  @Override
  public Time getTime(String parameterName, Calendar cal) throws SQLException {
    return callable().getTime(parameterName, cal);
  }

  @Override
  public Timestamp getTimestamp(String parameterName, Calendar cal) throws SQLException {
    return callable().getTimestamp(parameterName, cal);
  }

  @Override
  public URL getURL(String parameterName) throws SQLException {
    return callable().getURL(parameterName);
  }

  @Override
  public RowId getRowId(int parameterIndex) throws SQLException {
    return callable().getRowId(parameterIndex);
  }

  @Override
  public RowId getRowId(String parameterName) throws SQLException {
    return callable().getRowId(parameterName);
  }

  @Override
  public void setRowId(String parameterName, RowId x) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setRowId(parameterName, x));
  }

  @Override
  public void setNString(String parameterName, String value) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setNString(parameterName, value));
  }

  @Override
  public void setNCharacterStream(String parameterName, Reader value, long length) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setNCharacterStream(parameterName, value, length));
  }

  @Override
  public void setNClob(String parameterName, NClob value) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setNClob(parameterName, value));
  }

  @Override
  public void setClob(String parameterName, Reader reader, long length) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setClob(parameterName, reader, length));
  }

  @Override
  public void setBlob(String parameterName, InputStream inputStream, long length) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setBlob(parameterName, inputStream, length));
  }

  @Override
  public void setNClob(String parameterName, Reader reader, long length) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setNClob(parameterName, reader, length));
  }

  @Override
  public NClob getNClob(int parameterIndex) throws SQLException {
    return callable().getNClob(parameterIndex);
  }

  @Override
  public NClob getNClob(String parameterName) throws SQLException {
    return callable().getNClob(parameterName);
  }

  @Override
  public void setSQLXML(String parameterName, SQLXML xmlObject) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setSQLXML(parameterName, xmlObject));
  }

  @Override
  public SQLXML getSQLXML(int parameterIndex) throws SQLException {
    return callable().getSQLXML(parameterIndex);
  }

  @Override
  public SQLXML getSQLXML(String parameterName) throws SQLException {
    return callable().getSQLXML(parameterName);
  }

  @Override
  public String getNString(int parameterIndex) throws SQLException {
    return callable().getNString(parameterIndex);
  }

  @Override
  public String getNString(String parameterName) throws SQLException {
    return callable().getNString(parameterName);
  }

  @Override
  public Reader getNCharacterStream(int parameterIndex) throws SQLException {
    return callable().getNCharacterStream(parameterIndex);
  }

  @Override
  public Reader getNCharacterStream(String parameterName) throws SQLException {
    return callable().getNCharacterStream(parameterName);
  }

  @Override
  public Reader getCharacterStream(int parameterIndex) throws SQLException {
    return callable().getCharacterStream(parameterIndex);
  }

  @Override
  public Reader getCharacterStream(String parameterName) throws SQLException {
    return callable().getCharacterStream(parameterName);
  }

  @Override
  public void setBlob(String parameterName, Blob x) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setBlob(parameterName, x));
  }

  @Override
  public void setClob(String parameterName, Clob x) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setClob(parameterName, x));
  }

  @Override
  public void setAsciiStream(String parameterName, InputStream value, long length) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setAsciiStream(parameterName, value, length));
  }

  @Override
  public void setBinaryStream(String parameterName, InputStream value, long length) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setBinaryStream(parameterName, value, length));
  }

  @Override
  public void setCharacterStream(String parameterName, Reader value, long length) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setCharacterStream(parameterName, value, length));
  }

  @Override
  public void setAsciiStream(String parameterName, InputStream value) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setAsciiStream(parameterName, value));
  }

  @Override
  public void setBinaryStream(String parameterName, InputStream value) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setBinaryStream(parameterName, value));
  }

  @Override
  public void setCharacterStream(String parameterName, Reader value) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setCharacterStream(parameterName, value));
  }

  @Override
  public void setNCharacterStream(String parameterName, Reader value) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setNCharacterStream(parameterName, value));
  }

  @Override
  public void setClob(String parameterName, Reader reader) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setClob(parameterName, reader));
  }

  @Override
  public void setBlob(String parameterName, InputStream inputStream) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setBlob(parameterName, inputStream));
  }

  @Override
  public void setNClob(String parameterName, Reader reader) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setNClob(parameterName, reader));
  }

  @Override
  public <T> T getObject(int parameterIndex, Class<T> type) throws SQLException {
    return callable().getObject(parameterIndex, type);
  }

  @Override
  public <T> T getObject(String parameterName, Class<T> type) throws SQLException {
    return callable().getObject(parameterName, type);
  }

  @Override
  public void setObject(String parameterName, Object x, SQLType targetSqlType, int scaleOrLength)
      throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setObject(parameterName, x, targetSqlType,
        scaleOrLength));
  }

  @Override
  public void setObject(String parameterName, Object x, SQLType targetSqlType) throws SQLException {
    bindNamed("in " + parameterName, ps -> callable(ps).setObject(parameterName, x, targetSqlType));
  }

  @Override
  public void registerOutParameter(int parameterIndex, SQLType sqlType) throws SQLException {
    bindOut(parameterIndex, ps -> callable(ps).registerOutParameter(parameterIndex, sqlType));
  }

  @Override
  public void registerOutParameter(int parameterIndex, SQLType sqlType, int scale) throws SQLException {
    bindOut(parameterIndex, ps -> callable(ps).registerOutParameter(parameterIndex, sqlType, scale));
  }

  @Override
  public void registerOutParameter(int parameterIndex, SQLType sqlType, String typeName) throws SQLException {
    bindOut(parameterIndex, ps -> callable(ps).registerOutParameter(parameterIndex, sqlType, typeName));
  }

  @Override
  public void registerOutParameter(String parameterName, SQLType sqlType) throws SQLException {
    bindNamed("out " + parameterName, ps -> callable(ps).registerOutParameter(parameterName, sqlType));
  }

  @Override
  public void registerOutParameter(String parameterName, SQLType sqlType, int scale) throws SQLException {
    bindNamed("out " + parameterName, ps -> callable(ps).registerOutParameter(parameterName, sqlType, scale));
  }

  @Override
  public void registerOutParameter(String parameterName, SQLType sqlType, String typeName)
      throws SQLException {
    bindNamed("out " + parameterName, ps -> callable(ps).registerOutParameter(parameterName, sqlType,
        typeName));
  }

}
