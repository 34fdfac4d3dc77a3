package org.attn4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The call-overhead probe runs both paths on the same kernel (no time is asserted). */
class CallOverheadTest {
  @Test
  void timesTheCheckedAndTheBareCall() throws Exception {
    CallOverhead.Result r = CallOverhead.measure(3, 200);
    assertThat(r.checkedNs()).isPositive();
    assertThat(r.bareNs()).isPositive();
  }
}
