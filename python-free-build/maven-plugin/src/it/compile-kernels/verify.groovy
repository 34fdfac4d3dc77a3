// Runs after both invocations: the classifier jar exists and holds the index, the first build compiled, the
// second hit the cache, and the project's test ran the packaged kernel.
import java.util.jar.JarFile

def log = new File(basedir, 'build.log').text
def jar = new File(basedir, 'target/compile-kernels-1.0-linux-x86_64.jar')
assert jar.isFile() : "no CPU classifier jar"
def entries = new JarFile(jar).entries().collect { it.name }
assert entries.contains('META-INF/attn4j/artifacts.list')
assert entries.contains('META-INF/attn4j/artifacts/sdpa_float32_h2kv2_d8-cpu-x86-64-v2/kernel.so')
assert new File(basedir, 'target/test-classes/META-INF/attn4j/artifacts.list').text.contains('cpu-x86-64-v2')
assert log.contains('sdpa_float32_h2kv2_d8-cpu-x86-64-v2 cache hit') : "second build did not hit the cache"
assert new File(basedir, 'target/surefire-reports/TEST-it.PackagedKernelTest.xml').text.contains('failures="0"')
def cuda = new File(basedir, 'target/compile-kernels-1.0-linux-x86_64-cuda.jar')
assert cuda.isFile() || log.contains('cuda-sm_80 skipped: ') : "CUDA target neither built nor skipped"
return true
