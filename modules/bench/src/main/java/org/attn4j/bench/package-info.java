/**
 * The benchmark harness: {@link org.attn4j.bench.BenchMain} times attn4j's kernels against the peers of
 * {@link org.attn4j.bench.peers} in one process, checks each against the oracle first, and
 * {@link org.attn4j.bench.ReportWriter} writes CSV, Markdown and an HTML page with SVG charts;
 * {@link org.attn4j.bench.BenchReport} merges runs; {@link org.attn4j.bench.StartupProbe} measures start-up.
 */
@NullMarked
package org.attn4j.bench;

import org.jspecify.annotations.NullMarked;
