package org.attn4j.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** TVM's pool size as TVM reports it: TVM_NUM_THREADS when set, else at least one thread. */
class ThreadsTest {
  @Test
  void reportsThePoolSize() {
    String env = System.getenv("TVM_NUM_THREADS");
    if (env != null) {
      assertThat(Threads.count()).isEqualTo(Integer.parseInt(env.trim()));
    } else {
      assertThat(Threads.count()).isBetween(1, Runtime.getRuntime().availableProcessors());
    }
  }
}
