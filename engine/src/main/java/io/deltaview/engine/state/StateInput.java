package io.deltaview.engine.state;

import io.deltaview.engine.row.PgArray;
import io.deltaview.engine.row.Row;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Reads what {@link StateOutput} wrote, from its parts in order; any inconsistency is a {@link StateFormatException}.
 * The parts come from a list, or one at a time from a {@link PartSource} (a checkpoint read from the database part
 * by part, so that the heap never holds it whole); a CRC-32C of the parts taken so far is kept either way.
 */
public final class StateInput {

  /** The parts in order, fetched as they are needed; null once there are no more. */
  @FunctionalInterface
  public interface PartSource {
    byte[] next();
  }

  /** The parts of a list input; null when they come from {@link #source}. */
  private final byte[][] parts;
  private int nextIndex;
  private final PartSource source;
  /** Of a {@link PartSource}'s parts only: a list input is checksummed by {@link #checksum(List)} if at all. */
  private final CRC32C crc;
  private long bytes;
  private boolean exhausted;
  private byte[] current;
  private int position;

  /** Reads {@code parts} (kept as they are, not copied; such as one spilled bucket, read per row). */
  public StateInput(List<byte[]> parts) {
    this.parts = parts.toArray(new byte[0][]);
    this.source = null;
    this.crc = null;
    if (this.parts.length > 0) {
      current = this.parts[0];
      bytes = current.length;
      nextIndex = 1;
    } else {
      current = new byte[0];
    }
  }

  /** Reads the parts {@code source} gives, taking each only once the one before has been read. */
  public StateInput(PartSource source) {
    this.parts = null;
    this.source = source;
    this.crc = new CRC32C();
    this.current = new byte[0];
  }

  /** CRC-32C of all bytes of {@code parts}, as {@link StateOutput#checksum()} computed it. */
  public static long checksum(List<byte[]> parts) {
    CRC32C crc = new CRC32C();
    for (byte[] p : parts) {
      crc.update(p, 0, p.length);
    }
    return crc.getValue();
  }

  /** Takes the next part; false if there is none. */
  private boolean nextPart() {
    if (exhausted) {
      return false;
    }
    byte[] next;
    if (parts != null) {
      next = nextIndex < parts.length ? parts[nextIndex++] : null;
    } else {
      next = source.next();
      if (next != null) {
        crc.update(next, 0, next.length);
      }
    }
    if (next == null) {
      exhausted = true;
      return false;
    }
    bytes += next.length;
    current = next;
    position = 0;
    return true;
  }

  public int readByte() {
    while (position == current.length) {
      if (!nextPart()) {
        throw new StateFormatException("checkpoint state ends early");
      }
    }
    return current[position++] & 0xFF;
  }

  /** Whether every byte has been read (then every part has been taken). */
  public boolean atEnd() {
    while (position == current.length) {
      if (!nextPart()) {
        return true;
      }
    }
    return false;
  }

  /** Takes every part left without reading it (so that {@link #checksum()} and {@link #size()} cover them all). */
  public void skipToEnd() {
    position = current.length;
    while (nextPart()) {
      position = current.length;
    }
  }

  /** CRC-32C of the parts a {@link PartSource} gave so far: of them all once {@link #atEnd()} said so. */
  public long checksum() {
    if (crc == null) {
      throw new IllegalStateException("a list input is checksummed with checksum(List)");
    }
    return crc.getValue();
  }

  /** Bytes of the parts taken so far: of them all once {@link #atEnd()} said so. */
  public long size() {
    return bytes;
  }

  /** How far into the part being read reading is: for a single-part input, the bytes read so far. */
  public int offsetInPart() {
    return position;
  }

  public boolean readBoolean() {
    int b = readByte();
    if (b > 1) {
      throw new StateFormatException("bad boolean " + b);
    }
    return b == 1;
  }

  public int readCount() {
    long n = readVarLong();
    if (n < 0 || n > Integer.MAX_VALUE) {
      throw new StateFormatException("bad count " + n);
    }
    return (int) n;
  }

  public long readLong() {
    long v = readVarLong();
    return (v >>> 1) ^ -(v & 1);
  }

  public int readInt() {
    long v = readLong();
    if (v != (int) v) {
      throw new StateFormatException("bad int " + v);
    }
    return (int) v;
  }

  private long readVarLong() {
    byte[] b = current;
    int p = position;
    if (b.length - p >= 10) { // the common case: the whole number is in this part, read without bounds checks
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        int x = b[p++];
        v |= (long) (x & 0x7F) << shift;
        if (x >= 0) {
          position = p;
          return v;
        }
      }
      throw new StateFormatException("bad variable-length number");
    }
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int x = readByte();
      v |= (long) (x & 0x7F) << shift;
      if ((x & 0x80) == 0) {
        return v;
      }
    }
    throw new StateFormatException("bad variable-length number");
  }

  public long readFixedLong() {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | readByte();
    }
    return v;
  }

  public byte[] readBytes() {
    int n = readCount();
    byte[] out = new byte[n];
    for (int i = 0; i < n; i++) {
      out[i] = (byte) readByte();
    }
    return out;
  }

  public String readString() {
    int n = readCount();
    byte[] b = current;
    int p = position;
    if (b.length - p >= n) { // ASCII text within this part: one byte a unit, copied straight
      boolean ascii = true;
      for (int i = p; i < p + n && ascii; i++) {
        ascii = b[i] >= 0;
      }
      if (ascii) {
        position = p + n;
        return new String(b, p, n, java.nio.charset.StandardCharsets.ISO_8859_1);
      }
    }
    char[] chars = new char[n];
    for (int i = 0; i < n; i++) {
      int x = readByte();
      if (x < 0x80) {
        chars[i] = (char) x;
      } else if ((x & 0xE0) == 0xC0) {
        chars[i] = (char) (((x & 0x1F) << 6) | continuation());
      } else if ((x & 0xF0) == 0xE0) {
        int mid = continuation();
        chars[i] = (char) (((x & 0x0F) << 12) | (mid << 6) | continuation());
      } else {
        throw new StateFormatException("bad string byte " + x);
      }
    }
    return new String(chars);
  }

  private int continuation() {
    int b = readByte();
    if ((b & 0xC0) != 0x80) {
      throw new StateFormatException("bad string continuation byte " + b);
    }
    return b & 0x3F;
  }

  public int[] readIntArray() {
    int[] out = new int[readCount()];
    for (int i = 0; i < out.length; i++) {
      out[i] = readInt();
    }
    return out;
  }

  public boolean[] readBooleanArray() {
    boolean[] out = new boolean[readCount()];
    for (int i = 0; i < out.length; i++) {
      out[i] = readBoolean();
    }
    return out;
  }

  public Object readValue() {
    int tag = readByte();
    switch (tag) {
      case StateOutput.NULL:
        return null;
      case StateOutput.LONG:
        return readLong();
      case StateOutput.STRING:
        return readString();
      case StateOutput.DECIMAL: {
        int scale = readInt();
        return BigDecimal.valueOf(readLong(), scale);
      }
      case StateOutput.BIG_DECIMAL: {
        int scale = readInt();
        return new BigDecimal(new BigInteger(readBytes()), scale);
      }
      case StateOutput.DOUBLE:
        return Double.longBitsToDouble(readFixedLong());
      case StateOutput.TRUE:
        return Boolean.TRUE;
      case StateOutput.FALSE:
        return Boolean.FALSE;
      case StateOutput.DATE:
        return LocalDate.ofEpochDay(readLong());
      case StateOutput.TIME:
        return LocalTime.ofNanoOfDay(readLong());
      case StateOutput.TIMESTAMP: {
        LocalDate day = LocalDate.ofEpochDay(readLong());
        return LocalDateTime.of(day, LocalTime.ofNanoOfDay(readLong()));
      }
      case StateOutput.INSTANT: {
        long seconds = readLong();
        return Instant.ofEpochSecond(seconds, readLong());
      }
      case StateOutput.INTEGER:
        return readInt();
      case StateOutput.BYTES:
        return readBytes();
      case StateOutput.ARRAY: {
        Object[] elements = new Object[readCount()];
        for (int i = 0; i < elements.length; i++) {
          elements[i] = readValue();
        }
        return PgArray.of(java.util.Arrays.asList(elements));
      }
      default:
        throw new StateFormatException("unknown value tag " + tag);
    }
  }

  public Row readRow() {
    Object[] values = new Object[readCount()];
    for (int i = 0; i < values.length; i++) {
      values[i] = readValue();
    }
    return Row.wrap(values);
  }
}
