package org.attn4j.bench.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The timing table: FlashAttention's FLOP count, variant labels, and the CSV and Markdown files. */
class ResultTableTest {
  @Test
  void countsFlopsAsFlashAttentionDoes() {
    // b=4 h=8 n=m=4096 d=128: 4bhnmd = 274.9 GFLOP, halved when causal
    assertThat(ResultTable.flops(4, 8, 4096, 4096, 128, false)).isEqualTo(274877906944.0);
    assertThat(ResultTable.flops(4, 8, 4096, 4096, 128, true)).isEqualTo(137438953472.0);
    ResultTable.Row r = new ResultTable.Row("attn4j cuda-mma sm_90", "cuda:0", "float16", "core", 4, 8, 4096, 4096,
        128, true, 1.0, "PASS");
    assertThat(r.tflops()).isCloseTo(137.44, within(0.01));
  }

  @Test
  void labelsVariantsByTheirModifiers() {
    assertThat(ResultTable.variantLabel(Manifests.of("float16", "", "").spec())).isEqualTo("core");
    assertThat(ResultTable.variantLabel(Manifests.combined("float16").spec()))
        .isEqualTo("rotary+alibi+fox+softcap");
  }

  @Test
  void writesCsvAndMarkdownWithTheSharedColumns(@TempDir Path dir) throws Exception {
    ResultTable t = new ResultTable();
    t.add(new ResultTable.Row("attn4j cuda-flash sm_90", "cuda:0", "float32", "core", 1, 8, 1024, 1024, 64, false,
        0.5, "PASS: all outputs finite, all rows"));
    t.write(dir);
    assertThat(Files.readAllLines(dir.resolve("attn4j.csv"))).containsExactly(
        "impl,device,dtype,variant,b,h,n,m,d,causal,ms,tflops,check",
        "attn4j cuda-flash sm_90,cuda:0,float32,core,1,8,1024,1024,64,false,0.5000,4.29,"
            + "PASS: all outputs finite; all rows");
    assertThat(Files.readString(dir.resolve("attn4j.md")))
        .startsWith("| impl | device | dtype | variant | b | h | n | m | d | causal | ms | tflops | check |\n")
        .contains("| 0.5000 | 4.29 |");
  }
}
