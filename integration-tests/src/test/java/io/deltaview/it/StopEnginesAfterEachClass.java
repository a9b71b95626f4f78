package io.deltaview.it;

import io.deltaview.engine.EngineRegistry;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * After each test class, stops the engines its databases started in this JVM (registered for every class through
 * {@code META-INF/services} and {@code junit-platform.properties}).
 *
 * <p>Why: every test class makes its own database, and an engine left running keeps a walsender decoding the
 * whole server's WAL for its slot. Fifty of them would decode every later test's writes fifty times over, and
 * their heartbeats and checkpoint writes would add to it; the suite's time would then grow with the square of
 * its classes. A stopped engine's slot stays, inactive, and costs nothing until the server stops.
 */
public final class StopEnginesAfterEachClass implements AfterAllCallback {

  @Override
  public void afterAll(ExtensionContext context) {
    if (context.getTestClass().map(c -> c.isAnnotationPresent(Nested.class)).orElse(true)) {
      return; // the enclosing class goes on
    }
    for (String database : EngineRegistry.all().keySet()) {
      EngineRegistry.stop(database);
    }
  }
}
