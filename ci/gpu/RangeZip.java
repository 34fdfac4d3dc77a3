import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.Inflater;

/**
 * Extracts a few entries of a (large) remote jar with HTTP range requests: the central directory, then each
 * wanted entry's bytes, never the whole file. Used by ci/gpu-check.sh to take libcudart.so.12 out of
 * org.bytedeco:cuda's 2 GB -redist jar. Run as a source file: {@code java RangeZip.java URL OUT_DIR NAME_SUFFIX...}
 * (an entry is taken when its path ends with one of the suffixes; it lands in OUT_DIR under its file name).
 */
public final class RangeZip {
  private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();

  public static void main(String[] args) throws Exception {
    URI uri = URI.create(args[0]);
    Path out = Path.of(args[1]);
    Files.createDirectories(out);
    long size = Long.parseLong(HTTP.send(HttpRequest.newBuilder(uri).method("HEAD", HttpRequest.BodyPublishers.noBody())
        .build(), HttpResponse.BodyHandlers.discarding()).headers().firstValue("content-length").orElseThrow());
    int tailLen = (int) Math.min(size, 1 << 16);
    ByteBuffer tail = range(uri, size - tailLen, tailLen);
    int eocd = tailLen - 22;
    while (eocd >= 0 && tail.getInt(eocd) != 0x06054b50) {
      eocd--;
    }
    if (eocd < 0) {
      throw new IllegalStateException("no end of central directory in the last " + tailLen + " bytes of " + uri);
    }
    long cdSize = Integer.toUnsignedLong(tail.getInt(eocd + 12));
    long cdOffset = Integer.toUnsignedLong(tail.getInt(eocd + 16));
    if (cdOffset == 0xFFFFFFFFL || cdSize == 0xFFFFFFFFL) { // zip64: the locator sits just before the EOCD
      long z64 = tail.getLong(eocd - 20 + 8);
      ByteBuffer rec = range(uri, z64, 56);
      cdSize = rec.getLong(40);
      cdOffset = rec.getLong(48);
    }
    ByteBuffer cd = range(uri, cdOffset, (int) cdSize);
    int found = 0;
    for (int p = 0; p + 46 <= cd.limit() && cd.getInt(p) == 0x02014b50; ) {
      int method = Short.toUnsignedInt(cd.getShort(p + 10));
      long comp = Integer.toUnsignedLong(cd.getInt(p + 20));
      long plain = Integer.toUnsignedLong(cd.getInt(p + 24));
      int nameLen = Short.toUnsignedInt(cd.getShort(p + 28));
      int extraLen = Short.toUnsignedInt(cd.getShort(p + 30));
      int commentLen = Short.toUnsignedInt(cd.getShort(p + 32));
      long local = Integer.toUnsignedLong(cd.getInt(p + 42));
      byte[] nb = new byte[nameLen];
      cd.get(p + 46, nb);
      String name = new String(nb, java.nio.charset.StandardCharsets.UTF_8);
      for (int a = 2; a < args.length; a++) {
        if (name.endsWith(args[a])) {
          ByteBuffer head = range(uri, local, 30);
          long dataStart = local + 30 + Short.toUnsignedInt(head.getShort(26)) + Short.toUnsignedInt(head.getShort(28));
          byte[] data = range(uri, dataStart, (int) comp).array();
          if (method == 8) {
            Inflater inf = new Inflater(true);
            inf.setInput(data);
            ByteArrayOutputStream bo = new ByteArrayOutputStream((int) plain);
            byte[] buf = new byte[1 << 16];
            while (!inf.finished()) {
              int n = inf.inflate(buf);
              if (n == 0 && (inf.needsInput() || inf.needsDictionary())) {
                throw new IllegalStateException("truncated deflate data for " + name);
              }
              bo.write(buf, 0, n);
            }
            data = bo.toByteArray();
          }
          if (data.length != plain) {
            throw new IllegalStateException(name + ": expected " + plain + " bytes, got " + data.length);
          }
          Path f = out.resolve(Path.of(name).getFileName().toString());
          Files.write(f, data);
          System.out.println(name + " -> " + f + " (" + plain + " bytes)");
          found++;
        }
      }
      p += 46 + nameLen + extraLen + commentLen;
    }
    if (found < args.length - 2) {
      throw new IllegalStateException("found " + found + " of the " + (args.length - 2) + " entries asked for in " + uri);
    }
  }

  private static ByteBuffer range(URI uri, long from, int len) throws Exception {
    HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(uri).header("Range", "bytes=" + from + "-" + (from + len - 1))
        .build(), HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 206 || r.body().length != len) {
      throw new IllegalStateException("range " + from + "+" + len + " of " + uri + ": HTTP " + r.statusCode() + ", "
          + r.body().length + " bytes");
    }
    return ByteBuffer.wrap(r.body()).order(ByteOrder.LITTLE_ENDIAN);
  }
}
