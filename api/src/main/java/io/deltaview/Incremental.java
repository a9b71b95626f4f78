package io.deltaview;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the queries a method runs as ones Deltaview should answer from incremental views (with
 * {@code deltaview.mode=opt-in}, only marked queries are). On a class, every method the class declares is
 * marked; an annotation on a method wins over its class's.
 *
 * <p>Takes effect through the Deltaview agent, which instruments annotated methods: queries executed on the
 * calling thread while the method runs are marked, and the mark ends when it returns or throws. Without the
 * agent, use {@link Deltaview#optIn()} around the same code.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface Incremental {

  /** The consistency of the marked queries; {@link Consistency#DEFAULT} keeps the connection's. */
  Consistency consistency() default Consistency.DEFAULT;
}
