package org.attn4j.build;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.attn4j.attention.AttentionGraph;
import org.attn4j.schedules.AttentionSchedule;
import org.attn4j.schedules.TargetKind;
import org.attn4j.te.Schedule;
import org.attn4j.te.Te;
import org.attn4j.te.Tensor;
import org.attn4j.tvm.Attn4jException;
import org.attn4j.tvm.ObjectScope;
import org.attn4j.tvm.TvmModule;
import org.attn4j.tvm.TvmNatives;
import org.attn4j.tvm.TvmObject;

/**
 * Lowers a scheduled attention graph and generates a shared library, the way TVM's Python
 * {@code tvm.build} + {@code export_library} do, from Java: {@code te.CreatePrimFunc} -> schedule ->
 * alignment relaxation -> {@code driver.lower_module} -> {@code driver.tir_to_runtime} -> object files ->
 * the system C++ compiler.
 *
 * <p>Alignment: Arrow Java buffers are 16-byte aligned while TVM assumes 64 for argument buffers and emits
 * aligned vector loads on that promise (a segfault on Arrow memory). Every argument buffer is therefore
 * re-declared with {@link #ARGUMENT_ALIGNMENT} bytes before lowering, and the runtime checks that alignment
 * before each call.
 */
public final class KernelCompiler {
  /** The alignment, in bytes, that compiled kernels assume for their argument buffers. */
  public static final int ARGUMENT_ALIGNMENT = 16;

  private KernelCompiler() {}

  /** What {@link #compile} produced. */
  public record Compiled(Path library, String functionName, String loweredScript) {}

  /**
   * Compiles {@code graph} with {@code schedule} for {@code target} into {@code library} (a {@code .so}).
   *
   * @throws Attn4jException naming the stage and TVM's message when a step fails
   */
  public static Compiled compile(Te te, AttentionGraph graph, AttentionSchedule schedule, BuildTarget target,
      String functionName, Path library, Progress progress) {
    TvmNatives.ensureCompiler(target.getKind() == TargetKind.CUDA);
    ObjectScope s = te.scope();
    progress.step("create TensorIR");
    TvmObject mod;
    if (schedule.buildsLoopNest()) {
      progress.step("loop nest " + schedule.getName());
      mod = module(s, schedule.buildFunction(te, graph, functionName));
    } else {
      mod = primModule(te, graph.getArguments(), functionName);
      progress.step("schedule " + schedule.getName());
      Schedule sch = Schedule.create(s, mod);
      schedule.apply(sch, graph);
      mod = sch.getMod();
    }
    return compileModule(te, mod, schedule.needsDefaultGpuBinding(), target, library, functionName, progress);
  }

  /**
   * Lowers a scheduled module ({@code main} with global symbol {@code functionName}) and generates
   * {@code library}: the part of {@link #compile} after scheduling, shared with other kinds of kernels (layers).
   *
   * @param defaultGpuBinding whether to run TVM's {@code DefaultGPUSchedule} over blocks left unbound
   * @throws Attn4jException naming the stage and TVM's message when a step fails
   */
  static Compiled compileModule(Te te, TvmObject mod, boolean defaultGpuBinding, BuildTarget target, Path library,
      String functionName, Progress progress) {
    TvmNatives.ensureCompiler(target.getKind() == TargetKind.CUDA);
    ObjectScope s = te.scope();
    mod = relaxAlignment(s, mod, ARGUMENT_ALIGNMENT);
    TvmObject tgt = target.toTvm(s);
    if (target.getKind() == TargetKind.CUDA) {
      mod = withTarget(s, mod, tgt);
    }
    if (defaultGpuBinding) {
      TvmObject pass = s.obj("tir.transform.DefaultGPUSchedule");
      mod = s.obj("transform.RunPass", pass, mod);
    }
    progress.step("lower");
    TvmObject lowered = s.obj("driver.lower_module", mod, false);
    String script = te.repr(lowered);
    progress.step("codegen " + target.getName());
    try {
      Files.createDirectories(library.toAbsolutePath().getParent());
      Path work = Files.createTempDirectory(library.toAbsolutePath().getParent(), ".obj");
      try {
        List<Path> objects = new ArrayList<>();
        if (target.getKind() == TargetKind.CUDA) {
          CudaCompile.register(target);
        }
        TvmObject targetMap = s.obj("runtime.Map", tgt, lowered);
        try (TvmModule host = s.call("driver.tir_to_runtime", targetMap, target.hostToTvm(s)).asModule()) {
          Path hostObj = work.resolve("host.o");
          s.call("runtime.ModuleSaveToFile", host, hostObj.toString(), "o");
          objects.add(hostObj);
          if (target.getKind() == TargetKind.CUDA) {
            try (TvmModule devc = s.call("runtime.ModulePackImportsToLLVM", host, false,
                target.hostTriple(), "").asModule()) {
              Path devObj = work.resolve("devc.o");
              s.call("runtime.ModuleSaveToFile", devc, devObj.toString(), "o");
              objects.add(devObj);
            }
          }
        }
        progress.step("link");
        List<String> cmd = new ArrayList<>(List.of(Toolchain.cxx(), "-shared", "-fPIC", "-o",
            library.toAbsolutePath().toString()));
        for (Path o : objects) {
          cmd.add(o.toString());
        }
        Toolchain.run(cmd, 300);
      } finally {
        deleteTree(work);
      }
    } catch (java.io.IOException e) {
      throw new Attn4jException("writing " + library + " failed: " + e.getMessage(), e);
    }
    return new Compiled(library, functionName, script);
  }

  /** An IRModule holding {@code te.CreatePrimFunc(args)} as {@code main} with global symbol {@code name}. */
  static TvmObject primModule(Te te, List<Tensor> args, String name) {
    ObjectScope s = te.scope();
    Object[] nodes = args.stream().map(Tensor::getNode).toArray();
    TvmObject func = s.obj("te.CreatePrimFunc", s.obj("runtime.Array", nodes), "int64");
    func = s.obj("ir.BaseFuncWithAttr", func, "global_symbol", name);
    return module(s, func);
  }

  /** An IRModule holding {@code func} as {@code main}. */
  static TvmObject module(ObjectScope s, TvmObject func) {
    return module(s, func, Map.of());
  }

  /**
   * An IRModule holding {@code main} (the entry, named by its own global symbol) and the functions it calls, each
   * under its global symbol (the key).
   */
  static TvmObject module(ObjectScope s, TvmObject main, Map<String, TvmObject> functions) {
    List<Object> kv = new ArrayList<>(List.of(s.obj("ir.GlobalVar", "main", null), main));
    functions.forEach((symbol, f) -> {
      kv.add(s.obj("ir.GlobalVar", symbol, null));
      kv.add(f);
    });
    return s.obj("ir.IRModule", s.obj("runtime.Map", kv.toArray()), s.obj("runtime.Map"), null,
        s.obj("runtime.Map"));
  }

  /** The {@code main} function of {@code mod} (e.g. a scheduled module). */
  static TvmObject mainFunction(ObjectScope s, TvmObject mod) {
    return s.obj("ir.Module_Lookup", mod, mainVar(s, mod));
  }

  private static TvmObject mainVar(ObjectScope s, TvmObject mod) {
    return s.obj("ir.Module_GetGlobalVar", mod, "main");
  }

  private static TvmObject withTarget(ObjectScope s, TvmObject mod, TvmObject target) {
    TvmObject gv = mainVar(s, mod);
    TvmObject func = s.obj("ir.Module_Lookup", mod, gv);
    func = s.obj("ir.BaseFuncWithAttr", func, "target", target);
    return s.obj("ir.IRModule", s.obj("runtime.Map", gv, func), s.obj("runtime.Map"), null, s.obj("runtime.Map"));
  }

  /**
   * Re-declares every argument buffer of every function of {@code mod} with {@code alignment} bytes (same data
   * variable, shape, strides and offset), so the code generator emits loads that are valid on that alignment.
   */
  static TvmObject relaxAlignment(ObjectScope s, TvmObject mod, int alignment) {
    TvmObject vars = s.obj("ir.Module_GetGlobalVars", mod);
    long nf = s.call("runtime.ArraySize", vars).asLong();
    List<Object> functions = new ArrayList<>();
    for (int f = 0; f < nf; f++) {
      TvmObject gv = s.obj("runtime.ArrayGetItem", vars, f);
      functions.add(gv);
      functions.add(relaxFunction(s, s.obj("ir.Module_Lookup", mod, gv), alignment));
    }
    return s.obj("ir.IRModule", s.obj("runtime.Map", functions.toArray()), s.obj("runtime.Map"), null,
        s.obj("runtime.Map"));
  }

  private static TvmObject relaxFunction(ObjectScope s, TvmObject func, int alignment) {
    TvmObject params = attr(s, func, "params");
    TvmObject bufferMap = attr(s, func, "buffer_map");
    long np = s.call("runtime.ArraySize", params).asLong();
    List<Object> kv = new ArrayList<>();
    for (int i = 0; i < np; i++) {
      TvmObject p = s.obj("runtime.ArrayGetItem", params, i);
      TvmObject buf = s.call("runtime.MapGetItem", bufferMap, p).asObject();
      TvmObject relaxed = s.obj("tir.Buffer",
          attr(s, buf, "data"),
          s.call("node.NodeGetAttr", buf, "dtype").asString(),
          attr(s, buf, "shape"),
          attr(s, buf, "strides"),
          s.call("node.NodeGetAttr", buf, "elem_offset").get(),
          s.call("node.NodeGetAttr", buf, "name").get(),
          alignment,
          1,
          s.call("node.NodeGetAttr", buf, "buffer_type").asLong() == 2 ? "auto_broadcast" : "",
          attr(s, buf, "axis_separators"),
          null);
      kv.add(p);
      kv.add(relaxed);
    }
    return s.obj("tir.PrimFunc", params, attr(s, func, "body"), attr(s, func, "ret_type"),
        s.obj("runtime.Map", kv.toArray()), attr(s, func, "attrs"), null);
  }

  private static TvmObject attr(ObjectScope s, TvmObject node, String field) {
    return s.obj("node.NodeGetAttr", node, field);
  }

  static void deleteTree(Path dir) {
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException ignored) {
      // best effort: a leftover temporary directory is harmless
    }
  }
}
