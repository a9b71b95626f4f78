package io.deltaview.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.driver.DeltaviewDriver;
import java.sql.DriverPropertyInfo;
import java.util.Arrays;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class AgentOptionsTest {

  private static Properties props(String... keyValues) {
    Properties p = new Properties();
    for (int i = 0; i < keyValues.length; i += 2) {
      p.setProperty(keyValues[i], keyValues[i + 1]);
    }
    return p;
  }

  @Test
  void argumentPairsWithOrWithoutThePrefix() {
    AgentOptions o = AgentOptions.resolve(" deltaview.mode=opt-in , consistency=strong,,autoCreate.max=3 ", props());
    assertEquals(Map.of("deltaview.mode", "opt-in", "deltaview.consistency", "strong", "deltaview.autoCreate.max", "3"),
        o.connectionOptions());
    assertFalse(o.off());
    assertFalse(o.verbose());
  }

  @Test
  void noArgumentMeansDefaults() {
    assertEquals(Map.of(), AgentOptions.resolve(null, props()).connectionOptions());
    assertEquals(Map.of(), AgentOptions.resolve("", props()).connectionOptions());
  }

  @Test
  void systemPropertiesWinOverTheArgumentAndOnlyKnownOnesAreRead() {
    AgentOptions o = AgentOptions.resolve("deltaview.mode=all,deltaview.engine=none",
        props("deltaview.mode", "opt-in", "deltaview.applyChunkRows", "10", "deltaview.agent.verbose", "true"));
    assertEquals(Map.of("deltaview.mode", "opt-in", "deltaview.engine", "none"), o.connectionOptions());
    assertTrue(o.verbose());
  }

  @Test
  void modeOffInAnyCase() {
    assertTrue(AgentOptions.resolve("mode= OFF", props()).off());
    assertTrue(AgentOptions.resolve(null, props("deltaview.mode", "off")).off());
  }

  @Test
  void malformedOrUnknownArgumentsAreErrorsNamingTheProblem() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> AgentOptions.resolve("deltaview.mode", props()));
    assertTrue(e.getMessage().contains("malformed agent argument 'deltaview.mode'"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> AgentOptions.resolve("=x", props()));
    assertTrue(e.getMessage().contains("malformed"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> AgentOptions.resolve("deltaview.colour=blue", props()));
    assertTrue(e.getMessage().contains("unknown option deltaview.colour"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> AgentOptions.resolve("agent.verbose=yes", props()));
    assertTrue(e.getMessage().contains("deltaview.agent.verbose"), e.getMessage());
  }

  /** The agent reads exactly the driver's connection options from -D; a new driver option must be added here. */
  @Test
  void connectionOptionsAreTheDriversOptions() throws Exception {
    DriverPropertyInfo[] info = new DeltaviewDriver().getPropertyInfo("jdbc:deltaview:postgresql://h/db", new Properties());
    assertEquals(Arrays.stream(info).map(p -> p.name).filter(n -> n.startsWith("deltaview.")).sorted().toList(),
        AgentOptions.CONNECTION_OPTIONS.stream().sorted().toList());
  }
}
