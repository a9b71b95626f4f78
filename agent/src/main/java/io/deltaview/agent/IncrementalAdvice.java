package io.deltaview.agent;

import io.deltaview.Consistency;
import io.deltaview.Deltaview;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into every {@code @Incremental} method: opens a {@link Deltaview#optIn(Consistency)} scope on entry and
 * closes it on exit, normal or exceptional. The consistency is a constant bound per method.
 */
final class IncrementalAdvice {

  private IncrementalAdvice() {
  }

  /** Bound to the {@link Consistency} constant of the method's (or its class's) annotation. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.PARAMETER)
  @interface ScopeConsistency {
  }

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static Deltaview.Scope enter(@ScopeConsistency Consistency consistency) {
    return Deltaview.optIn(consistency);
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter Deltaview.Scope scope) {
    if (scope != null) {
      scope.close();
    }
  }
}
