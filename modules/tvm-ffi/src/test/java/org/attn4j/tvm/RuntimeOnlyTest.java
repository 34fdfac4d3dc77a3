package org.attn4j.tvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The runtime-only flavour: packed calls, objects, errors and callbacks without the compiler mapped. */
class RuntimeOnlyTest {
  private long liveBefore;

  @BeforeEach
  void setUp() {
    TvmNatives.ensureRuntime();
    liveBefore = TvmObject.liveCount();
  }

  @AfterEach
  void noLeaks() {
    assertThat(TvmObject.liveCount()).as("TVM objects still referenced").isEqualTo(liveBefore);
  }

  @Test
  void compilerIsNotMapped() throws Exception {
    assertThat(TvmNatives.loadedFlavor()).isEqualTo(TvmNatives.Flavor.RUNTIME);
    String maps = Files.readString(Path.of("/proc/self/maps"));
    assertThat(maps).contains("libtvm_runtime.so").doesNotContain("libtvm.so").doesNotContain("libLLVM");
    // This module depends on attn4j-natives-runtime only: oneDNN and OpenBLAS are its empty stand-ins.
    assertThat(TvmNatives.standIns()).containsExactlyInAnyOrder("libdnnl.so.2", "libopenblas.so.0");
    assertThat(maps).doesNotContain("/org/bytedeco/dnnl/").doesNotContain("/org/bytedeco/openblas/");
    assertThat(TvmGlobal.exists("te.Placeholder")).isFalse();
    assertThatThrownBy(() -> TvmNatives.ensureCompiler(false))
        .isInstanceOf(NativeLoadException.class)
        .hasMessageContaining("already loaded as RUNTIME");
  }

  @Test
  void arraysRoundTrip() {
    try (ObjectScope scope = new ObjectScope()) {
      TvmObject a = scope.obj("runtime.Array", 3L, 5L, 7L);
      assertThat(a.getTypeKey()).isEqualTo("Array");
      assertThat(scope.call("runtime.ArraySize", a).asLong()).isEqualTo(3);
      assertThat(scope.call("runtime.ArrayGetItem", a, 1).asLong()).isEqualTo(5);
    }
  }

  @Test
  void tvmErrorsBecomeExceptionsWithoutStackDump() {
    try (ObjectScope scope = new ObjectScope()) {
      TvmObject a = scope.obj("runtime.Array", 1L);
      assertThatThrownBy(() -> scope.call("runtime.ArrayGetItem", a, 4))
          .isInstanceOf(TvmException.class)
          .hasMessageContaining("runtime.ArrayGetItem")
          .satisfies(e -> assertThat(((TvmException) e).getTvmMessage()).doesNotContain("Stack trace"));
    }
  }

  @Test
  void unknownGlobalIsAClearError() {
    assertThatThrownBy(() -> TvmGlobal.get("attn4j.no_such_function"))
        .isInstanceOf(TvmException.class)
        .hasMessageContaining("no such global function");
  }

  @Test
  void javaCallbacksAreCallableFromTvm() {
    TvmGlobal.register("attn4j.test.concat", args -> args.get(0) + "|" + args.get(1));
    assertThat(TvmGlobal.get("attn4j.test.concat").call(null, "ab", 42L).asString()).isEqualTo("ab|42");
    TvmGlobal.register("attn4j.test.fail", args -> {
      throw new IllegalStateException("boom");
    });
    assertThatThrownBy(() -> TvmGlobal.get("attn4j.test.fail").call(null))
        .isInstanceOf(TvmException.class)
        .hasMessageContaining("boom");
  }

  @Test
  void closedObjectsAreRefused() {
    ObjectScope scope = new ObjectScope();
    TvmObject a = scope.obj("runtime.Array", 1L);
    scope.close();
    scope.close(); // idempotent
    assertThat(a.isClosed()).isTrue();
    assertThatThrownBy(a::getTypeKey).isInstanceOf(IllegalStateException.class).hasMessageContaining("after close");
    assertThatThrownBy(() -> scope.call("runtime.Array", 1L)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void missingModuleFileIsRefused() {
    assertThatThrownBy(() -> TvmModule.load(Path.of("/nonexistent/k.so")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected an existing file");
  }
}
