package org.attn4j.reference;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TestDataTest {

  @Test
  void sameSeedSameValues() {
    assertThat(TestData.uniform(7, 100, -1, 1)).isEqualTo(TestData.uniform(7, 100, -1, 1));
    assertThat(TestData.uniform(7, 100, -1, 1)).isNotEqualTo(TestData.uniform(8, 100, -1, 1));
  }

  @Test
  void valuesStayWithinTheBounds() {
    float[] x = TestData.uniform(9, 10_000, -2f, 3f);

    for (float value : x) {
      assertThat(value).isBetween(-2f, 3f);
    }
    assertThat(TestData.uniform(9, 3, 0.5f, 0.5f)).containsOnly(0.5f);
    assertThat(TestData.uniform(9, 0, 0, 1)).isEmpty();
  }
}
