package io.deltaview.driver;

import io.deltaview.sql.SqlStates;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Properties;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A {@link DataSource} over {@link DeltaviewDriver}, for pools and frameworks configured with a bean:
 * set a {@code jdbc:deltaview:postgresql:} URL and, optionally, user and password. Both pgjdbc's property
 * names ({@code URL}, {@code user}) and those pools and Spring bind by default ({@code url}, {@code username})
 * work.
 */
public class DeltaviewDataSource implements DataSource {

  private volatile String url;
  private volatile String user;
  private volatile String password;
  private volatile int loginTimeoutSeconds;
  private volatile PrintWriter logWriter;

  public String getURL() {
    return url;
  }

  /** A {@code jdbc:deltaview:postgresql:} URL; {@code deltaview.*} parameters in it apply. */
  public void setURL(String url) {
    this.url = url;
  }

  public String getUser() {
    return user;
  }

  public void setUser(String user) {
    this.user = user;
  }

  /** The same as {@link #getURL()}, under the bean name pools and Spring bind ({@code url}). */
  public String getUrl() {
    return url;
  }

  /** The same as {@link #setURL(String)}, under the bean name pools and Spring bind ({@code url}). */
  public void setUrl(String url) {
    this.url = url;
  }

  /** The same as {@link #getUser()}, under the bean name pools and Spring bind ({@code username}). */
  public String getUsername() {
    return user;
  }

  /** The same as {@link #setUser(String)}, under the bean name pools and Spring bind ({@code username}). */
  public void setUsername(String username) {
    this.user = username;
  }

  public String getPassword() {
    return password;
  }

  public void setPassword(String password) {
    this.password = password;
  }

  @Override
  public Connection getConnection() throws SQLException {
    return getConnection(user, password);
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    String u = url;
    Properties props = new Properties();
    if (username != null) {
      props.setProperty("user", username);
    }
    if (password != null) {
      props.setProperty("password", password);
    }
    if (loginTimeoutSeconds > 0) {
      props.setProperty("loginTimeout", Integer.toString(loginTimeoutSeconds)); // pgjdbc's property
    }
    Connection c = DeltaviewDriver.registered().connect(u, props);
    if (c == null) {
      throw new SQLException("Not a Deltaview URL (expected " + DeltaviewDriver.URL_PREFIX + "...): " + u,
          SqlStates.INVALID_PARAMETER_VALUE);
    }
    return c;
  }

  /** Stored and returned; like pgjdbc, the driver logs through java.util.logging instead. */
  @Override
  public PrintWriter getLogWriter() {
    return logWriter;
  }

  @Override
  public void setLogWriter(PrintWriter out) {
    this.logWriter = out;
  }

  /** Passed to pgjdbc as its {@code loginTimeout} property; 0 means pgjdbc's default. */
  @Override
  public void setLoginTimeout(int seconds) {
    this.loginTimeoutSeconds = seconds;
  }

  @Override
  public int getLoginTimeout() {
    return loginTimeoutSeconds;
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return Logger.getLogger("io.deltaview.driver");
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    throw new SQLException("Cannot unwrap to " + iface.getName(), SqlStates.INVALID_PARAMETER_VALUE);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) {
    return iface.isInstance(this);
  }
}
