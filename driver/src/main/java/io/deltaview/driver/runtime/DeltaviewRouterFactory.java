package io.deltaview.driver.runtime;

import io.deltaview.driver.DeltaviewOptions;
import io.deltaview.driver.route.QueryRouter;
import io.deltaview.driver.route.RouterFactory;
import io.deltaview.engine.EngineConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;

/** Connects the JDBC wrappers to Deltaview's rewriter and engine; registered through ServiceLoader. */
public final class DeltaviewRouterFactory implements RouterFactory {

  @Override
  public QueryRouter open(String pgUrl, Properties pgProps, DeltaviewOptions options, Connection raw)
      throws SQLException {
    EngineConfig config = new EngineConfig(pgUrl, pgProps, raw.getCatalog(),
        options.maxRetainedWal() == DeltaviewOptions.UNLIMITED ? EngineConfig.UNLIMITED : options.maxRetainedWal());
    boolean embedded = options.engine() == DeltaviewOptions.Engine.EMBEDDED;
    return new DeltaviewRouter(DatabaseRuntime.forDatabase(config, embedded), options);
  }
}
