package io.deltaview.driver;

import io.deltaview.driver.route.QueryRouter;
import io.deltaview.driver.route.Route;
import io.deltaview.driver.route.SessionState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A router for tests: answers from a table (default: pass through unchanged) and logs what it saw. */
public final class RecordingRouter implements QueryRouter {

  public final List<String> routed = new ArrayList<>();
  public final Map<String, Route> answers = new HashMap<>();
  public int closed;
  public SessionState lastSession;
  /** The SQLStates of the rewrites reported as failed, in order. */
  public final List<String> failedRewrites = new ArrayList<>();

  public RecordingRouter answer(String sql, Route route) {
    answers.put(sql, route);
    return this;
  }

  public RecordingRouter rewrite(String sql, String to) {
    return answer(sql, new Route.PassThrough(to));
  }

  @Override
  public Route route(String sql, SessionState session) {
    routed.add(sql);
    lastSession = session;
    return answers.getOrDefault(sql, new Route.PassThrough(sql));
  }

  @Override
  public void rewriteFailed(String sql, java.sql.SQLException failure) {
    failedRewrites.add(failure.getSQLState());
  }

  @Override
  public void connectionClosed(SessionState session) {
    closed++;
  }
}
