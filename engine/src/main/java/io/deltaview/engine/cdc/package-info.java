/**
 * Change data capture from PostgreSQL logical replication with the {@code pgoutput} plugin (protocol
 * version 1) through pgjdbc's replication API.
 *
 * <ul>
 *   <li>{@link io.deltaview.engine.cdc.PgOutputDecoder} turns wire bytes into immutable
 *       {@link io.deltaview.engine.cdc.PgOutputMessage}s; values stay in PostgreSQL's text form
 *       ({@link io.deltaview.engine.cdc.TupleData}).</li>
 *   <li>{@link io.deltaview.engine.cdc.ToastResolver} completes updates whose unchanged TOASTed values were not
 *       resent.</li>
 *   <li>{@link io.deltaview.engine.cdc.ReplicationSlotReader} streams one slot on its own thread to a consumer
 *       that may be slow; the slot advances only through the consumer's confirmations.</li>
 *   <li>{@link io.deltaview.engine.cdc.SlotManager} creates and drops slots and exports snapshots
 *       ({@link io.deltaview.engine.cdc.ExportedSnapshot}) for initial loads.</li>
 * </ul>
 */
package io.deltaview.engine.cdc;
