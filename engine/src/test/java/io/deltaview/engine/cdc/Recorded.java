package io.deltaview.engine.cdc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.postgresql.replication.LogSequenceNumber;

/** Loads pgoutput bytes recorded from a real PostgreSQL ({@code src/test/resources/cdc/*.hex}). */
final class Recorded {

  record Message(LogSequenceNumber lsn, byte[] bytes) {
    ByteBuffer buffer() {
      return ByteBuffer.wrap(bytes);
    }

    PgOutputMessage decode() {
      return PgOutputDecoder.decode(buffer());
    }
  }

  private Recorded() {
  }

  static List<Message> load(String name) {
    try (InputStream in = Recorded.class.getResourceAsStream("/cdc/" + name + ".hex")) {
      if (in == null) {
        throw new IllegalArgumentException("no recorded file cdc/" + name + ".hex");
      }
      List<Message> out = new ArrayList<>();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] parts = line.trim().split(" ", 2);
        out.add(new Message(LogSequenceNumber.valueOf(parts[0]), HexFormat.of().parseHex(parts[1])));
      }
      return out;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static List<PgOutputMessage> decodeAll(String name) {
    return load(name).stream().map(Message::decode).toList();
  }
}
