/**
 * JMH benchmarks of attn4j's kernels and their peers: {@link org.attn4j.bench.jmh.AttentionBenchmark} times
 * steady-state calls (attn4j and each peer, variant × shape × threads, attn4j's CPU target),
 * {@link org.attn4j.bench.jmh.ArtifactBenchmark} the compile and the load of artifacts apart from them; every
 * trial's state ({@link org.attn4j.bench.jmh.PeerState}) checks its implementation against the oracle before any
 * timing. {@link org.attn4j.bench.jmh.JmhReport} turns JMH's JSON into the bench report. Run with
 * {@code ci/jmh.sh}.
 */
@NullMarked
package org.attn4j.bench.jmh;

import org.jspecify.annotations.NullMarked;
