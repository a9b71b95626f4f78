/**
 * The Deltaview {@code -javaagent}: gives applications that keep their plain {@code jdbc:postgresql:} URL
 * Deltaview's behaviour on every PostgreSQL connection, and turns {@code @io.deltaview.Incremental} methods into
 * opt-in scopes. See {@code docs/agent.md} for the design (jar layout, class loaders, fail-open rules).
 */
package io.deltaview.agent;
