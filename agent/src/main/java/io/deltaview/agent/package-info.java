/** The Byte Buddy {@code -javaagent} (a later issue); the module exists so the layout is in place. */
package io.deltaview.agent;
