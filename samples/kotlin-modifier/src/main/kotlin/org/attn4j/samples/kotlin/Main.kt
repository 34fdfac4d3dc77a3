package org.attn4j.samples.kotlin

import kotlin.math.tanh
import org.apache.arrow.memory.RootAllocator
import org.attn4j.attention.AttentionSpec
import org.attn4j.attention.Causal
import org.attn4j.attention.Modifier
import org.attn4j.attention.Slots
import org.attn4j.attention.Variant
import org.attn4j.build.ArtifactRequest
import org.attn4j.build.BuildTarget
import org.attn4j.build.Jit
import org.attn4j.build.Progress
import org.attn4j.reference.AttentionOracle
import org.attn4j.reference.CoreAttentionOracle
import org.attn4j.reference.TestData
import org.attn4j.reference.Tolerances
import org.attn4j.runtime.Dims
import org.attn4j.te.DType

/**
 * Two modifiers written in Kotlin with attn4j's DSL, each JIT-compiled and checked against the plain-Java
 * reference: a custom score_mod ([distancePenaltySample]) and forgetting attention, FoX ([foxSample], Fox.kt).
 */
fun main() {
  distancePenaltySample()
  foxSample()
}

/**
 * A custom score_mod in the DSL, FlexAttention-style: a linear distance penalty (ALiBi-like, one slope for all
 * heads) followed by a soft-cap, s' = c·tanh((s − slope·(i − j)) / c), on causal attention. Kotlin's operators
 * map onto the DSL's methods (minus, times, div), so the modifier reads like the formula.
 */
fun distancePenaltySample() {
  val slope = 0.05
  val cap = 10.0
  val penalty = Modifier.named("distance_penalty", mapOf("slope" to slope, "cap" to cap)) { _ ->
    Slots.score { s, _, _, i, j ->
      val te = s.te
      val distance = (i - j).cast(DType.FLOAT32)
      te.tanh((s - distance * slope) / cap) * cap
    }
  }
  val spec = AttentionSpec.builder().heads(4).headDim(32).causal(Causal.BOTTOM_RIGHT).build()
  val target = BuildTarget.hostCpu()
  val request = ArtifactRequest(Variant.of(spec, penalty), target, ArtifactRequest.defaultSchedule(target),
      ArtifactRequest.defaultBounds())
  val (b, n, m, d) = listOf(2, 100, 130, 32)
  val q = TestData.uniform(1, b * 4 * n * d, -2f, 2f)
  val k = TestData.uniform(2, b * 4 * m * d, -2f, 2f)
  val v = TestData.uniform(3, b * 4 * m * d, -1f, 1f)
  val out = FloatArray(b * 4 * n * d)
  Jit.kernel(request, Progress.printing(System.out, "kotlin")).use { kernel ->
    RootAllocator().use { alloc -> kernel.run(Dims.of(b.toLong(), n.toLong(), m.toLong()), alloc, q, k, v, out) }
    println("kernel ${kernel.manifest.variant()} (${kernel.manifest.schedule()})")
  }
  // the same modifier in the plain-Java reference (double precision)
  val options = CoreAttentionOracle.Options.builder().shape(b, 4, 4, n, m, d)
      .causal(org.attn4j.reference.Causal.BOTTOM_RIGHT).build()
  val ref = AttentionOracle.run(AttentionOracle.Spec.builder(options)
      .scoreMod { s, _, _, i, j -> cap * tanh((s - slope * (i - j)) / cap) }.build(), q, k, v)
  val cmp = Tolerances.compare(out, ref)
  println("b=$b h=4 n=$n m=$m d=$d: max |err| vs reference ${"%.2e".format(cmp.maxAbsError)}, within fp32 " +
      "tolerance: ${cmp.isWithin(Tolerances.FP32)}")
  check(cmp.isWithin(Tolerances.FP32)) { "the kernel disagrees with the reference: $cmp" }
}
