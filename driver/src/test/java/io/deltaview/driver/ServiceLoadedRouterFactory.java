package io.deltaview.driver;

import io.deltaview.driver.route.QueryRouter;
import io.deltaview.driver.route.RouterFactory;
import java.sql.Connection;
import java.util.Properties;

/** Registered in the test resources, to check the driver finds factories through ServiceLoader. */
public final class ServiceLoadedRouterFactory implements RouterFactory {

  static volatile RecordingRouter lastRouter;

  @Override
  public QueryRouter open(String pgUrl, Properties pgProps, DeltaviewOptions options, Connection raw) {
    lastRouter = new RecordingRouter();
    return lastRouter;
  }
}
