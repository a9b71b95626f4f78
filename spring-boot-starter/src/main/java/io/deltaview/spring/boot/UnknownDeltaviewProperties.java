package io.deltaview.spring.boot;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;

/**
 * Refuses a {@code deltaview.*} property of the application's configuration that {@link DeltaviewProperties} does not
 * have, as the driver refuses an unknown option: a typo ({@code deltaview.enable}) or a driver spelling
 * ({@code deltaview.autoCreate.max}) would otherwise be ignored without a word.
 *
 * <p>JVM system properties and environment variables are not checked: the driver and engine read tuning settings
 * from {@code -Ddeltaview.*} system properties ({@code deltaview.heartbeatMillis}, {@code deltaview.engine.memory},
 * {@code deltaview.metrics}, …), which are not Spring properties and are right there.
 */
final class UnknownDeltaviewProperties {

  private static final ConfigurationPropertyName PREFIX = ConfigurationPropertyName.of(DeltaviewProperties.PREFIX);
  private static final List<ConfigurationPropertyName> KNOWN = DeltaviewProperties.NAMES.stream()
      .map(name -> ConfigurationPropertyName.of(DeltaviewProperties.PREFIX + "." + name)).toList();
  private static final Set<String> JVM_SOURCES = Set.of(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME,
      StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);

  private UnknownDeltaviewProperties() {
  }

  /** @throws IllegalStateException naming each unknown property and listing the known ones */
  static void check(Environment environment) {
    Set<String> unknown = new TreeSet<>();
    for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
      if (!(source instanceof IterableConfigurationPropertySource iterable)
          || (source.getUnderlyingSource() instanceof PropertySource<?> ps && JVM_SOURCES.contains(ps.getName()))) {
        continue;
      }
      iterable.stream().filter(PREFIX::isAncestorOf).filter(name -> !isKnown(name))
          .forEach(name -> unknown.add(described(iterable, name)));
    }
    if (!unknown.isEmpty()) {
      throw new IllegalStateException("Unknown Deltaview propert" + (unknown.size() == 1 ? "y " : "ies ")
          + String.join(", ", unknown) + "; the deltaview.* properties are " + KNOWN.stream()
          .map(ConfigurationPropertyName::toString).toList() + " (the driver's deltaview.strongTimeoutMs and"
          + " deltaview.autoCreate.max are deltaview.strong-timeout and deltaview.auto-create-max here; JVM tuning"
          + " settings such as deltaview.heartbeatMillis are -D system properties)");
    }
  }

  /** The name, and where it was set when Spring knows (a file and line). */
  private static String described(ConfigurationPropertySource source, ConfigurationPropertyName name) {
    ConfigurationProperty property = source.getConfigurationProperty(name);
    return property == null || property.getOrigin() == null ? name.toString()
        : name + " (" + property.getOrigin() + ")";
  }

  private static boolean isKnown(ConfigurationPropertyName name) {
    for (ConfigurationPropertyName known : KNOWN) {
      if (known.equals(name)) {
        return true;
      }
    }
    return false;
  }
}
