package org.attn4j.runtime;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.attn4j.tvm.Cache;

/**
 * The artifacts an application can load: found on the class path (packaged by {@code attn4j-maven-plugin}) or in
 * a directory. Reading a catalog reads manifests only; nothing native is loaded. Immutable.
 *
 * <p>Class-path layout (any number of jars, e.g. the {@code linux-x86_64} and {@code linux-x86_64-cuda} classifier
 * jars): {@value #INDEX} lists artifact names one per line, and each artifact lives in
 * {@value #PREFIX}{@code <name>/} ({@code manifest.json}, {@code kernel.so}). Directory layout: the directory is
 * one artifact (holds a {@code manifest.json}) or holds one artifact per subdirectory.
 *
 * <p>Artifacts inside jars are extracted before loading into {@code <attn4j cache>/extracted/<sha256>/}, keyed by
 * the manifest's content (which holds the library's sha256); the library's sha256 is verified on extraction and
 * again on load.
 */
public final class ArtifactCatalog {
  /** The class-path index resource listing the artifact names. */
  public static final String INDEX = "META-INF/attn4j/artifacts.list";
  /** The class-path folder holding one folder per artifact. */
  public static final String PREFIX = "META-INF/attn4j/artifacts/";

  /**
   * One artifact.
   *
   * @param name the artifact's name ({@code <variant>-<target>})
   * @param manifest its manifest
   * @param manifestJson the manifest's text (the content the extraction cache is keyed by)
   * @param location the folder holding it ({@code file:} or {@code jar:} URL, ending in {@code /})
   */
  public record Entry(String name, Manifest manifest, String manifestJson, URL location) {
    /** The target as {@code <kind>:<level>}, e.g. {@code cpu:x86-64-v3} or {@code cuda:sm_90}. */
    public String getTarget() {
      return manifest.target().getOrDefault("kind", "?") + ":" + manifest.target().getOrDefault("level", "?");
    }
  }

  private final String description;
  private final List<Entry> entries;
  private final List<String> problems;

  private ArtifactCatalog(String description, List<Entry> entries, List<String> problems) {
    this.description = description;
    this.entries = List.copyOf(entries);
    this.problems = List.copyOf(problems);
  }

  /** Equivalent to {@link #classpath(ClassLoader)} with the thread's context class loader (or this class's). */
  public static ArtifactCatalog classpath() throws IOException {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    return classpath(cl != null ? cl : ArtifactCatalog.class.getClassLoader());
  }

  /**
   * The artifacts listed by every {@value #INDEX} visible to {@code loader}; the first of two with one name wins.
   * A manifest that cannot be read is not an entry but is reported by {@link #getProblems()}.
   *
   * @throws IOException if an index cannot be read
   */
  public static ArtifactCatalog classpath(ClassLoader loader) throws IOException {
    Map<String, Entry> found = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    List<URL> indexes = Collections.list(loader.getResources(INDEX));
    for (URL index : indexes) {
      for (String line : read(index).split("\n")) {
        String name = line.strip();
        if (!name.isEmpty() && !name.startsWith("#") && !found.containsKey(name)) {
          add(found, problems, name, new URL(index, "artifacts/" + name + "/"));
        }
      }
    }
    return new ArtifactCatalog("the class path (" + indexes.size() + " " + INDEX + ": " + indexes + ")",
        new ArrayList<>(found.values()), problems);
  }

  /**
   * The artifact in {@code dir}, or the artifacts in its subdirectories.
   *
   * @throws IOException if the directory cannot be listed
   */
  public static ArtifactCatalog directory(Path dir) throws IOException {
    Map<String, Entry> found = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    if (Files.isRegularFile(dir.resolve(Manifest.FILE_NAME))) {
      add(found, problems, dir.getFileName().toString(), dir.toUri().toURL());
    } else {
      try (Stream<Path> s = Files.list(dir)) {
        for (Path p : s.filter(p -> Files.isRegularFile(p.resolve(Manifest.FILE_NAME))).sorted().toList()) {
          add(found, problems, p.getFileName().toString(), p.toUri().toURL());
        }
      }
    }
    return new ArtifactCatalog("directory " + dir, new ArrayList<>(found.values()), problems);
  }

  private static void add(Map<String, Entry> found, List<String> problems, String name, URL location) {
    try {
      String json = read(new URL(location, Manifest.FILE_NAME));
      found.put(name, new Entry(name, Manifest.parse(json, location + Manifest.FILE_NAME), json, location));
    } catch (IOException | RuntimeException e) {
      problems.add(name + " (" + location + "): unreadable manifest: " + e.getMessage());
    }
  }

  private static String read(URL url) throws IOException {
    try (InputStream in = url.openStream()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** Where the artifacts were looked for. */
  public String getDescription() {
    return description;
  }

  /** The artifacts found, in discovery order. */
  public List<Entry> getEntries() {
    return entries;
  }

  /** Artifacts that were listed but could not be read, each with the reason. */
  public List<String> getProblems() {
    return problems;
  }

  /**
   * A directory holding {@code entry}'s files, ready for {@link AttentionKernel#load(Path, Device)}: its own
   * directory for a {@code file:} location, else a content-addressed copy in the attn4j cache (extracted once;
   * the library's sha256 is checked before the copy is published).
   *
   * @throws IOException if the files cannot be read or written
   * @throws IllegalArgumentException if the library's sha256 does not match the manifest
   */
  public static Path materialize(Entry entry) throws IOException {
    URL loc = entry.location();
    if (loc.getProtocol().equals("file")) {
      try {
        return Path.of(loc.toURI());
      } catch (URISyntaxException e) {
        throw new IOException("artifact " + entry.name() + ": bad location " + loc, e);
      }
    }
    String lib = entry.manifest().library();
    if (!lib.matches("[A-Za-z0-9._-]+") || lib.startsWith(".")) {
      throw new IllegalArgumentException("artifact " + entry.name() + ": library '" + lib + "' is not a file name");
    }
    byte[] json = entry.manifestJson().getBytes(StandardCharsets.UTF_8);
    String key = AttentionKernel.sha256(new ByteArrayInputStream(json)).substring(0, 32);
    Path dir = Cache.directory().resolve("extracted").resolve(key);
    if (Files.isRegularFile(dir.resolve(lib)) && Files.isRegularFile(dir.resolve(Manifest.FILE_NAME))) {
      return dir;
    }
    Path tmp = Files.createTempDirectory(Files.createDirectories(dir.getParent()), key + ".tmp");
    try {
      Files.write(tmp.resolve(Manifest.FILE_NAME), json);
      try (InputStream in = new URL(loc, lib).openStream()) {
        Files.copy(in, tmp.resolve(lib));
      }
      String sha = AttentionKernel.sha256(tmp.resolve(lib));
      if (!sha.equalsIgnoreCase(entry.manifest().sha256())) {
        throw new IllegalArgumentException("artifact " + entry.name() + " (" + loc + "): library sha256 " + sha
            + " does not match the manifest's " + entry.manifest().sha256());
      }
      try {
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        if (!Files.isRegularFile(dir.resolve(lib))) { // another process published it first: fine
          throw e;
        }
      }
      return dir;
    } finally {
      if (Files.exists(tmp)) {
        try (Stream<Path> s = Files.list(tmp)) {
          for (Path p : s.toList()) {
            Files.delete(p);
          }
        }
        Files.delete(tmp);
      }
    }
  }

  @Override
  public String toString() {
    return "ArtifactCatalog(" + entries.size() + " artifacts in " + description + ")";
  }
}
