/*
 * An empty shared library, compiled once per soname at build time (see pom.xml): libtvm_runtime.so names
 * libdnnl.so.2 and libopenblas.so.0 as NEEDED but only calls them, through lazily bound PLT slots, from TVM's
 * contrib oneDNN/BLAS functions, which attention kernels never use. With these stand-ins the runtime loads without
 * the 33 MB OpenBLAS and 62 MB oneDNN libraries; a call into one of them would end the process, so nothing may
 * make one (TvmNatives loads the real presets instead whenever they are on the class path).
 */
void attn4j_stand_in(void) {}
