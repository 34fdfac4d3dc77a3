package org.attn4j.build;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** Gives every test a fresh Arrow {@link RootAllocator}, closed after it, which fails on any leaked buffer. */
abstract class ArrowTestBase {
  BufferAllocator allocator;

  @BeforeEach
  void openAllocator() {
    allocator = new RootAllocator();
  }

  @AfterEach
  void closeAllocator() {
    allocator.close(); // fails on any leaked buffer
  }
}
