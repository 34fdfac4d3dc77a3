package org.attn4j.samples.kotlin

import kotlin.math.exp
import kotlin.math.ln1p
import org.apache.arrow.memory.RootAllocator
import org.attn4j.attention.AttentionSpec
import org.attn4j.attention.Causal
import org.attn4j.attention.ForgetDirection
import org.attn4j.attention.ForgetGate
import org.attn4j.attention.Modifier
import org.attn4j.attention.Modifiers
import org.attn4j.attention.Slots
import org.attn4j.attention.Variant
import org.attn4j.build.ArtifactRequest
import org.attn4j.build.BuildTarget
import org.attn4j.build.Jit
import org.attn4j.build.Progress
import org.attn4j.reference.AttentionOracle
import org.attn4j.reference.CoreAttentionOracle
import org.attn4j.reference.Forgetting
import org.attn4j.reference.TestData
import org.attn4j.reference.Tolerances
import org.attn4j.runtime.Dims
import org.attn4j.te.DType

/**
 * Forgetting attention (FoX, Lin et al. 2025), written as a user would with the public Modifier/Slots API: the
 * modifier captures the cumulative log forget gates `forget_cumsum [b, h, m]` (float32, a kernel input after
 * q, k, v) and adds `F_i - F_j` to the scaled logit, in fp32, with the causal mode masking `j > i` (so no select
 * is needed). The difference form keeps fp32 accurate: |F| grows with the length, `F_i - F_j` does not (its
 * error is the rounding of the two float F values, about |F|·2^-24). `i` is the query's key-axis position
 * (`row + m - n`), so queries are the last `n` of `m` tokens; keep `n <= m`, as the reference does
 * (Modifiers.forgetting also clamps `i < 0` and adds a block-skipping promise; this one stays minimal).
 */
fun foxModifier(): Modifier = Modifier.named("kotlin_fox", mapOf()) { ctx ->
  val f = ctx.capture("forget_cumsum", DType.FLOAT32, ctx.b, ctx.spec.heads, ctx.m)
  Slots.score { s, b, h, i, j -> s + (f[b, h, i] - f[b, h, j]) }
}

/** `log σ(z)`, stable for large |z| (as modules/reference computes it). */
fun logSigmoid(z: Double): Double = if (z >= 0) -ln1p(exp(-z)) else z - ln1p(exp(z))

/**
 * The FoX gates of a layer input `x [b, m, dim]`: `a[b, h, t] = λ·logsigmoid(w_h·x_t + β_h)` with the per-head
 * projection `w [h, dim]` and bias `β [h]`, then `F = cumsum_t(a)`: all in double, each `F` rounded to float once
 * (what org.attn4j.reference.Forgetting.dataDependent does before its own double arithmetic).
 */
fun forgetCumsum(x: FloatArray, b: Int, dim: Int, w: FloatArray, beta: FloatArray, lambda: Double): FloatArray {
  val h = beta.size
  val m = x.size / (b * dim)
  val f = FloatArray(b * h * m)
  for (bi in 0 until b) {
    for (hh in 0 until h) {
      var sum = 0.0
      for (t in 0 until m) {
        var z = 0.0
        for (c in 0 until dim) z += w[hh * dim + c].toDouble() * x[(bi * m + t) * dim + c].toDouble()
        sum += lambda * logSigmoid(z + beta[hh])
        f[(bi * h + hh) * m + t] = sum.toFloat()
      }
    }
  }
  return f
}

/** Runs the Kotlin FoX modifier, checks it against the reference, and compares it with Modifiers.forgetting. */
fun foxSample() {
  val (b, h, d, dim) = listOf(2, 4, 32, 48)
  val (n, m) = 192 to 256 // queries are the last 192 of 256 tokens (i = row + m - n), as after a 64-token prefix
  val lambda = 0.5 // x-transformers' post_log_scale, folded into the gates
  val x = TestData.uniform(11, b * m * dim, -1f, 1f) // the layer's normed input
  val w = TestData.uniform(12, h * dim, -0.5f, 0.5f)
  val beta = floatArrayOf(-1f, 1f, 3f, 5f) // strong to weak forgetting (FoX initialises β to 5)
  val forget = forgetCumsum(x, b, dim, w, beta, lambda)
  val q = TestData.uniform(13, b * h * n * d, -2f, 2f)
  val k = TestData.uniform(14, b * h * m * d, -2f, 2f)
  val v = TestData.uniform(15, b * h * m * d, -1f, 1f)
  println("FoX: a = $lambda·logsigmoid(w_h·x_t + β_h), β = ${beta.contentToString()}; mean gate per head " +
      (0 until h).joinToString(", ", "[", "]") { hh -> "%.3f".format(forget[hh * m + m - 1] / m) } +
      " (batch row 0)")

  val spec = AttentionSpec.builder().heads(h).headDim(d).causal(Causal.BOTTOM_RIGHT).build()
  val target = BuildTarget.hostCpu()
  val dims = Dims.of(b.toLong(), n.toLong(), m.toLong())
  fun runVariant(variant: Variant): FloatArray {
    val out = FloatArray(b * h * n * d)
    val t0 = System.nanoTime()
    Jit.kernel(ArtifactRequest.of(variant, target), Progress.silent()).use { kernel ->
      val built = (System.nanoTime() - t0) / 1e6
      RootAllocator().use { alloc -> kernel.run(dims, alloc, q, k, v, forget, out) }
      println("  kernel ${kernel.manifest.variant()} (${kernel.manifest.schedule()}), arguments " +
          kernel.manifest.arguments().joinToString { it.name() } + "; JIT/cache %.0f ms".format(built))
    }
    return out
  }
  val mine = runVariant(Variant.of(spec, foxModifier()))
  val library = runVariant(Variant.of(spec, Modifiers.forgetting(ForgetGate.DATA_DEPENDENT, ForgetDirection.FORWARD)))

  // the reference computes its own gates from x, w, β, λ (double) and adds F_i - F_j in double
  val options = CoreAttentionOracle.Options.builder().shape(b, h, h, n, m, d)
      .causal(org.attn4j.reference.Causal.BOTTOM_RIGHT).build()
  val ref = AttentionOracle.run(AttentionOracle.Spec.builder(options)
      .scoreMod(Forgetting.dataDependent(x, b, dim, w, beta, lambda)).build(), q, k, v)
  val cmpMine = Tolerances.compare(mine, ref)
  val cmpLibrary = Tolerances.compare(library, ref)
  var diff = 0.0
  for (idx in mine.indices) diff = maxOf(diff, Math.abs(mine[idx] - library[idx]).toDouble())
  println("b=$b h=$h n=$n m=$m d=$d: Kotlin FoX max |err| vs reference ${"%.2e".format(cmpMine.maxAbsError)}, " +
      "within fp32 tolerance: ${cmpMine.isWithin(Tolerances.FP32)}")
  println("  Modifiers.forgetting (ε = ${Modifiers.FORGET_EPSILON}, tile skipping) max |err| vs reference " +
      "${"%.2e".format(cmpLibrary.maxAbsError)}, within: ${cmpLibrary.isWithin(Tolerances.FP32)}; " +
      "max |Kotlin - library| ${"%.2e".format(diff)}")
  val maxF = forget.maxOf { Math.abs(it) }
  println("  (|F| reaches %.1f: rounding F to float moves a logit's F_i - F_j by up to about %.1e)".format(maxF, maxF * 5.96e-8))
  check(cmpMine.isWithin(Tolerances.FP32)) { "the Kotlin FoX kernel disagrees with the reference: $cmpMine" }
  check(cmpLibrary.isWithin(Tolerances.FP32)) { "Modifiers.forgetting disagrees with the reference: $cmpLibrary" }
}
