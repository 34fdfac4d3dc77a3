package org.attn4j.runtime;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Finds and loads packaged artifacts: the entry point of an application that ships kernels compiled ahead of
 * time (by {@code attn4j-maven-plugin}) in its class path. Selection, for the variant and dtype asked for: a CUDA
 * artifact when CUDA device 0 is usable and its architecture is at least the artifact's (the newest such
 * artifact wins), else the highest x86-64 level the CPU supports, else a {@link KernelNotFoundException} listing
 * what was looked for and every artifact found, each with why it was passed over. A target in the query
 * overrides the automatic choice (it is still refused when this host cannot run it).
 *
 * <pre>{@code
 * try (AttentionKernel kernel = AttentionKernels.load("sdpa_float32_h8kv8_d64_causal")) {
 *   kernel.run(Dims.of(b, n, m), q, k, v, out);   // Float4Vectors, zero copy
 * }
 * }</pre>
 */
public final class AttentionKernels {
  private AttentionKernels() {}

  /**
   * The artifact chosen for a query.
   *
   * @param entry the artifact
   * @param device where it will run ({@code cpu:0} or {@code cuda:0})
   * @param considered every artifact of the variant with its verdict ({@code "usable"} or why not)
   */
  public record Selection(ArtifactCatalog.Entry entry, Device device, List<String> considered) {}

  /** Equivalent to {@link #load(KernelQuery, ArtifactCatalog, Host)} on the class path and this host. */
  public static AttentionKernel load(String variant) throws IOException {
    return load(KernelQuery.of(variant), ArtifactCatalog.classpath(), Host.detect());
  }

  /** Equivalent to {@link #load(KernelQuery, ArtifactCatalog, Host)} on this host. */
  public static AttentionKernel load(KernelQuery query, ArtifactCatalog catalog) throws IOException {
    return load(query, catalog, Host.detect());
  }

  /**
   * Selects an artifact ({@link #select}), extracts it if it is inside a jar, verifies it (ABI, TVM version,
   * target, alignment, sha256) and loads it with {@code libtvm_runtime}. Caller must close.
   *
   * @throws KernelNotFoundException if no artifact fits
   * @throws IllegalArgumentException if the chosen artifact fails verification (nothing is loaded)
   * @throws org.attn4j.tvm.TvmException if TVM cannot load the library or it lacks the kernel's function
   * @throws IOException if files cannot be read or extracted
   */
  public static AttentionKernel load(KernelQuery query, ArtifactCatalog catalog, Host host) throws IOException {
    Selection s = select(query, catalog, host);
    return AttentionKernel.load(ArtifactCatalog.materialize(s.entry()), s.device());
  }

  /**
   * Chooses the artifact for {@code query} among {@code catalog}'s for {@code host}, reading manifests only
   * (CUDA is probed only if a CUDA artifact is a candidate).
   *
   * @throws KernelNotFoundException if none fits, listing what was looked for and what was found, with reasons
   */
  public static Selection select(KernelQuery query, ArtifactCatalog catalog, Host host) {
    List<String> considered = new ArrayList<>();
    ArtifactCatalog.Entry best = null;
    int bestScore = Integer.MIN_VALUE;
    for (ArtifactCatalog.Entry e : catalog.getEntries()) {
      if (!query.matches(e.manifest())) {
        continue;
      }
      String why = rejection(e, query, host);
      considered.add(e.name() + " (" + e.getTarget() + "): " + (why == null ? "usable" : why));
      int score = score(e);
      if (why == null && score > bestScore) {
        best = e;
        bestScore = score;
      }
    }
    if (best == null) {
      throw new KernelNotFoundException(notFound(query, catalog, host, considered));
    }
    boolean cuda = best.manifest().target().get("kind").equals("cuda");
    return new Selection(best, cuda ? Device.cuda(0) : Device.cpu(), List.copyOf(considered));
  }

  /** Why {@code e} cannot serve {@code q} on {@code host}, or {@code null} if it can. */
  private static @Nullable String rejection(ArtifactCatalog.Entry e, KernelQuery q, Host host) {
    Manifest m = e.manifest();
    if (m.abi() != Manifest.ABI) {
      return "artifact ABI " + m.abi() + ", this runtime reads ABI " + Manifest.ABI;
    }
    if (!m.tvmVersion().equals(Manifest.TVM_VERSION)) {
      return "built with TVM " + m.tvmVersion() + ", this runtime links TVM " + Manifest.TVM_VERSION;
    }
    String kind = m.target().getOrDefault("kind", "?");
    String level = m.target().getOrDefault("level", "?");
    String want = q.target();
    if (want != null && !want.equals(kind) && !want.equals(e.getTarget())) {
      return "not the requested target " + want;
    }
    if (kind.equals("cuda")) {
      String arch = host.getCudaArch();
      if (arch == null) {
        return host.getCudaReason();
      }
      return smNumber(level) > smNumber(arch) ? "needs " + level + ", cuda:0 is " + arch : null;
    }
    if (kind.equals("cpu")) {
      // An LLVM CPU name cannot be checked against flags: it is used only when asked for by name.
      return Host.rank(level) < 0 && e.getTarget().equals(want) ? null : host.missingFor(level);
    }
    return "unknown target kind '" + kind + "'";
  }

  /** CUDA beats CPU; then the newer architecture or the higher level. */
  private static int score(ArtifactCatalog.Entry e) {
    String level = e.manifest().target().getOrDefault("level", "");
    return e.manifest().target().get("kind").equals("cuda") ? 1000 + smNumber(level) : Host.rank(level);
  }

  private static int smNumber(String arch) {
    String digits = arch.replaceAll("\\D", "");
    return digits.isEmpty() ? Integer.MAX_VALUE : Integer.parseInt(digits);
  }

  private static String notFound(KernelQuery q, ArtifactCatalog c, Host host, List<String> considered) {
    StringBuilder sb = new StringBuilder("no artifact for ").append(q).append(" in ").append(c.getDescription())
        .append("; host CPU level ").append(host.getCpuLevel());
    if (considered.isEmpty()) {
      sb.append("; found no artifact of that variant and dtype; found: ")
          .append(c.getEntries().stream().map(ArtifactCatalog.Entry::name).toList());
    } else {
      sb.append("; found:");
      considered.forEach(s -> sb.append("\n  ").append(s));
    }
    c.getProblems().forEach(p -> sb.append("\n  ").append(p));
    return sb.toString();
  }
}
