package org.attn4j.build;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.attn4j.runtime.ArtifactCatalog;
import org.attn4j.runtime.Manifest;

/**
 * Lays artifacts out as class-path resources, the layout {@link ArtifactCatalog#classpath(ClassLoader)} reads:
 * {@value ArtifactCatalog#INDEX} plus {@value ArtifactCatalog#PREFIX}{@code <name>/{manifest.json, kernel.so}},
 * staged in a directory and optionally packed into a jar (the {@code linux-x86_64} or {@code linux-x86_64-cuda}
 * classifier jar).
 */
public final class Packaging {
  private Packaging() {}

  /**
   * Copies each artifact directory's manifest and library under {@code root} and writes the index listing them
   * (appending to an existing index, without duplicates).
   */
  public static void stage(Path root, List<Path> artifacts) throws IOException {
    Path index = root.resolve(ArtifactCatalog.INDEX);
    List<String> names = new ArrayList<>(Files.exists(index) ? Files.readAllLines(index) : List.of());
    for (Path a : artifacts) {
      String name = a.getFileName().toString();
      Path dst = Files.createDirectories(root.resolve(ArtifactCatalog.PREFIX + name));
      Manifest m = Manifest.read(a);
      for (String f : new String[] {Manifest.FILE_NAME, m.library()}) {
        Files.copy(a.resolve(f), dst.resolve(f), StandardCopyOption.REPLACE_EXISTING);
      }
      if (!names.contains(name)) {
        names.add(name);
      }
    }
    Files.createDirectories(index.getParent());
    Files.write(index, names, StandardCharsets.UTF_8);
  }

  /** Packs every file under {@code root} into {@code jar} (entries sorted, fixed timestamps: reproducible). */
  public static void jar(Path root, Path jar) throws IOException {
    Files.createDirectories(jar.toAbsolutePath().getParent());
    try (Stream<Path> files = Files.walk(root);
        JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        JarEntry e = new JarEntry(root.relativize(f).toString().replace('\\', '/'));
        e.setLastModifiedTime(FileTime.fromMillis(0));
        out.putNextEntry(e);
        Files.copy(f, (OutputStream) out);
        out.closeEntry();
      }
    }
  }
}
