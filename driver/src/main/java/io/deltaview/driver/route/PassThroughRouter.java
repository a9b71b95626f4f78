package io.deltaview.driver.route;

/** A router that sends every statement to PostgreSQL unchanged: plain pgjdbc behaviour. */
public final class PassThroughRouter implements QueryRouter {

  public static final PassThroughRouter INSTANCE = new PassThroughRouter();

  private PassThroughRouter() {
  }

  @Override
  public Route route(String sql, SessionState session) {
    return new Route.PassThrough(sql);
  }
}
