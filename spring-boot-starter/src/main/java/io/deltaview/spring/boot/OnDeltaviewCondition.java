package io.deltaview.spring.boot;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when the application's DataSource goes through Deltaview, by the rule of
 * {@link DeltaviewJdbcConnectionDetails#apply}: {@code deltaview.enabled=true}, or unset with a
 * {@code jdbc:deltaview:} {@code spring.datasource.url}.
 */
final class OnDeltaviewCondition extends SpringBootCondition {

  @Override
  public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
    Binder binder = Binder.get(context.getEnvironment());
    Boolean enabled = binder.bind(DeltaviewProperties.PREFIX + ".enabled", Boolean.class).orElse(null);
    if (enabled != null) {
      return new ConditionOutcome(enabled, "deltaview.enabled=" + enabled);
    }
    String url = binder.bind("spring.datasource.url", String.class).orElse(null);
    return DeltaviewUrls.isDeltaview(url)
        ? ConditionOutcome.match("spring.datasource.url is a " + DeltaviewUrls.DELTAVIEW_PREFIX + " URL")
        : ConditionOutcome.noMatch("deltaview.enabled is not set and spring.datasource.url is not a "
            + DeltaviewUrls.DELTAVIEW_PREFIX + " URL");
  }
}
