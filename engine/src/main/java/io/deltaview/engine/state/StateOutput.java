package io.deltaview.engine.state;

import io.deltaview.engine.row.PgArray;
import io.deltaview.engine.row.Row;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * A compact binary writer for operator state: variable-length integers, and every value class a
 * {@link Row} holds (see {@link io.deltaview.engine.row.Values}) tagged with its kind, so that reading it back
 * gives an equal value of the same class (a {@link BigDecimal} keeps its scale, a {@link Double} its exact
 * bits). No Java serialization: the format is this class and {@link StateInput}, nothing else.
 *
 * <p>The bytes are kept in parts of at most {@link #PART_SIZE} bytes, never in one array, so that a state of
 * hundreds of megabytes needs no contiguous allocation; each part becomes one row of a checkpoint. A CRC-32C of
 * all bytes is computed as they are written.
 *
 * <p>State too large for the heap is not written here at all: its owner {@linkplain #defer defers} it, and the
 * {@link StateImage} this output ends in writes it later, on another thread, into a {@linkplain
 * #StateOutput(PartSink) streaming output} that hands each part on as soon as it is full.
 */
public final class StateOutput {

  /** Where a streaming output's parts go, in order, as soon as each is full. */
  @FunctionalInterface
  public interface PartSink {
    void accept(byte[] part);
  }

  /**
   * State written later, from a consistent copy taken when it was deferred (such as a snapshot of a spilled
   * arrangement's store), by whoever streams the {@link StateImage}.
   */
  public interface Deferred {

    /** Writes the state as it was when deferred. */
    void writeTo(StateOutput out);

    /** Frees the copy; called once, whether or not the state was written. */
    void release();
  }

  /** The largest part: a checkpoint row holds one part. */
  public static final int PART_SIZE = 4 << 20;

  static final int NULL = 0;
  static final int LONG = 1;
  static final int STRING = 2;
  static final int DECIMAL = 3;
  static final int BIG_DECIMAL = 4;
  static final int DOUBLE = 5;
  static final int TRUE = 6;
  static final int FALSE = 7;
  static final int DATE = 8;
  static final int TIME = 9;
  static final int TIMESTAMP = 10;
  static final int INSTANT = 11;
  static final int INTEGER = 12;
  static final int BYTES = 13;
  static final int ARRAY = 14;

  /** The parts ({@code byte[]}) and the deferred state ({@link Deferred}) so far, in order; unused when streaming. */
  private final List<Object> segments = new ArrayList<>();
  private final PartSink sink;
  private final CRC32C crc = new CRC32C();
  private byte[] buffer = new byte[256];
  private int position;
  private long written;
  private int partCount;
  private boolean anyDeferred;

  /** An output that keeps its parts, for {@link #finish} or {@link #image}. */
  public StateOutput() {
    this.sink = null;
  }

  /**
   * An output that hands each part to {@code sink} once full (and the last at {@link #close}), keeping none: the
   * heap holds one part at a time, however large the state. It cannot {@link #defer}.
   */
  public StateOutput(PartSink sink) {
    this.sink = java.util.Objects.requireNonNull(sink, "sink");
  }

  private void ensure(int bytes) {
    if (position + bytes <= buffer.length) {
      return;
    }
    if (buffer.length < PART_SIZE) {
      int capacity = buffer.length;
      while (capacity < position + bytes && capacity < PART_SIZE) {
        capacity *= 2;
      }
      if (position + bytes <= capacity) {
        buffer = java.util.Arrays.copyOf(buffer, Math.min(capacity, PART_SIZE));
        return;
      }
    }
    flushPart();
    buffer = new byte[Math.max(PART_SIZE, bytes)];
  }

  private void flushPart() {
    byte[] part = position == buffer.length ? buffer : java.util.Arrays.copyOf(buffer, position);
    position = 0;
    if (part == buffer) {
      buffer = new byte[256]; // the part is handed on or kept: never written into again
    }
    emit(part);
  }

  private void emit(byte[] part) {
    crc.update(part, 0, part.length);
    written += part.length;
    partCount++;
    if (sink != null) {
      sink.accept(part);
    } else {
      segments.add(part);
    }
  }

  /**
   * Leaves {@code state} to be written later, in this place of the output: only on an output that keeps its
   * parts, which then ends in an {@link #image}, never in {@link #finish}.
   */
  public void defer(Deferred state) {
    if (sink != null) {
      throw new IllegalStateException("a streaming output writes its state at once");
    }
    if (position > 0) {
      flushPart();
    }
    segments.add(state);
    anyDeferred = true;
  }

  /**
   * {@code length} bytes of {@code bytes} from {@code offset}, already in this format (such as the entries of a
   * spilled bucket, which the spill store keeps in it): copied as they are, without a length.
   */
  public void writeEncoded(byte[] bytes, int offset, int length) {
    while (length > 0) {
      ensure(Math.min(length, PART_SIZE));
      int n = Math.min(length, buffer.length - position);
      System.arraycopy(bytes, offset, buffer, position, n);
      position += n;
      offset += n;
      length -= n;
    }
  }

  /** A whole part written by another output, kept as its own part (no copy). */
  void writePart(byte[] part) {
    if (position > 0) {
      flushPart();
    }
    emit(part);
  }

  public void writeByte(int b) {
    ensure(1);
    buffer[position++] = (byte) b;
  }

  public void writeBoolean(boolean b) {
    writeByte(b ? 1 : 0);
  }

  /** A non-negative count or index, 1 to 5 bytes. */
  public void writeCount(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("negative count " + n);
    }
    writeVarLong(n);
  }

  /** A signed long, zigzag-encoded: small magnitudes take few bytes. */
  public void writeLong(long v) {
    writeVarLong((v << 1) ^ (v >> 63));
  }

  private void writeVarLong(long v) {
    ensure(10);
    while ((v & ~0x7FL) != 0) {
      buffer[position++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buffer[position++] = (byte) v;
  }

  /** A long in 8 bytes, for bit patterns (a double's). */
  public void writeFixedLong(long v) {
    ensure(8);
    for (int i = 56; i >= 0; i -= 8) {
      buffer[position++] = (byte) (v >>> i);
    }
  }

  public void writeBytes(byte[] bytes) {
    writeCount(bytes.length);
    int offset = 0;
    while (offset < bytes.length) {
      ensure(Math.min(bytes.length - offset, PART_SIZE));
      int n = Math.min(bytes.length - offset, buffer.length - position);
      System.arraycopy(bytes, offset, buffer, position, n);
      position += n;
      offset += n;
    }
  }

  /**
   * A string, each UTF-16 unit encoded on its own in one to three bytes (UTF-8 for the usual text; a lone
   * surrogate, which UTF-8 cannot carry, round-trips too).
   */
  public void writeString(String s) {
    int n = s.length();
    writeCount(n);
    if (3L * n > PART_SIZE) {
      for (int i = 0; i < n; i++) {
        ensure(3);
        position = encode(s.charAt(i), buffer, position);
      }
      return;
    }
    ensure(3 * n); // at most three bytes a unit: one check for the whole string
    byte[] b = buffer;
    int p = position;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        b[p++] = (byte) c;
      } else {
        p = encode(c, b, p);
      }
    }
    position = p;
  }

  private static int encode(char c, byte[] b, int p) {
    if (c < 0x80) {
      b[p++] = (byte) c;
    } else if (c < 0x800) {
      b[p++] = (byte) (0xC0 | (c >> 6));
      b[p++] = (byte) (0x80 | (c & 0x3F));
    } else {
      b[p++] = (byte) (0xE0 | (c >> 12));
      b[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
      b[p++] = (byte) (0x80 | (c & 0x3F));
    }
    return p;
  }

  public void writeIntArray(int[] values) {
    writeCount(values.length);
    for (int v : values) {
      writeLong(v);
    }
  }

  public void writeBooleanArray(boolean[] values) {
    writeCount(values.length);
    for (boolean v : values) {
      writeBoolean(v);
    }
  }

  /**
   * One column value: null or any class of {@link io.deltaview.engine.row.Values}' canonical representation.
   *
   * @throws StateFormatException for a value of another class: the view gets no checkpoint
   */
  public void writeValue(Object v) {
    if (v == null) {
      writeByte(NULL);
    } else if (v instanceof Long l) {
      writeByte(LONG);
      writeLong(l);
    } else if (v instanceof String s) {
      writeByte(STRING);
      writeString(s);
    } else if (v instanceof BigDecimal d) {
      writeDecimal(d);
    } else if (v instanceof Double d) {
      writeByte(DOUBLE);
      writeFixedLong(Double.doubleToRawLongBits(d));
    } else if (v instanceof Boolean b) {
      writeByte(b ? TRUE : FALSE);
    } else if (v instanceof LocalDate d) {
      writeByte(DATE);
      writeLong(d.toEpochDay());
    } else if (v instanceof LocalDateTime t) {
      writeByte(TIMESTAMP);
      writeLong(t.toLocalDate().toEpochDay());
      writeLong(t.toLocalTime().toNanoOfDay());
    } else if (v instanceof Instant i) {
      writeByte(INSTANT);
      writeLong(i.getEpochSecond());
      writeLong(i.getNano());
    } else if (v instanceof LocalTime t) {
      writeByte(TIME);
      writeLong(t.toNanoOfDay());
    } else if (v instanceof Integer i) {
      writeByte(INTEGER);
      writeLong(i);
    } else if (v instanceof byte[] b) {
      writeByte(BYTES);
      writeBytes(b);
    } else if (v instanceof PgArray a) {
      writeByte(ARRAY);
      writeCount(a.size());
      for (Object element : a.elements()) {
        writeValue(element);
      }
    } else {
      throw new StateFormatException("cannot checkpoint a value of " + v.getClass().getName());
    }
  }

  private void writeDecimal(BigDecimal d) {
    BigInteger unscaled = d.unscaledValue();
    if (unscaled.bitLength() < 64) {
      writeByte(DECIMAL);
      writeLong(d.scale());
      writeLong(unscaled.longValue());
    } else {
      writeByte(BIG_DECIMAL);
      writeLong(d.scale());
      writeBytes(unscaled.toByteArray());
    }
  }

  /** A row: its width, then its values. */
  public void writeRow(Row row) {
    int n = row.size();
    writeCount(n);
    for (int i = 0; i < n; i++) {
      writeValue(row.get(i));
    }
  }

  /** Ends writing: the parts, in order (the last one trimmed). Nothing may be written after. */
  public List<byte[]> finish() {
    if (anyDeferred) {
      throw new IllegalStateException("part of this state is deferred: it ends in an image");
    }
    if (sink != null) {
      throw new IllegalStateException("a streaming output ends with close()");
    }
    if (position > 0 || segments.isEmpty()) {
      flushPart();
    }
    buffer = null;
    List<byte[]> parts = new ArrayList<>(segments.size());
    for (Object part : segments) {
      parts.add((byte[]) part);
    }
    return parts;
  }

  /** Ends writing: the parts written and the state deferred, in order, to be streamed once. */
  public StateImage image() {
    if (sink != null) {
      throw new IllegalStateException("a streaming output ends with close()");
    }
    if (position > 0) {
      flushPart();
    }
    buffer = null;
    return new StateImage(List.copyOf(segments));
  }

  /** Ends a streaming output: hands on the last part (if anything is left in it). */
  public void close() {
    if (sink == null) {
      throw new IllegalStateException("an output that keeps its parts ends with finish() or image()");
    }
    if (position > 0 || partCount == 0) {
      flushPart();
    }
    buffer = null;
  }

  /** The parts handed on or kept so far (all of them after the output ended). */
  public int parts() {
    return partCount;
  }

  /** Ends writing: everything written, in one array (for small values such as a spilled bucket or key). */
  public byte[] toBytes() {
    List<byte[]> all = finish();
    if (all.size() == 1) {
      return all.get(0);
    }
    byte[] bytes = new byte[(int) size()];
    int at = 0;
    for (byte[] part : all) {
      System.arraycopy(part, 0, bytes, at, part.length);
      at += part.length;
    }
    return bytes;
  }

  /** CRC-32C of every byte, valid after {@link #finish}. */
  public long checksum() {
    return crc.getValue();
  }

  /** Bytes written, valid after {@link #finish}. */
  public long size() {
    return written;
  }
}
