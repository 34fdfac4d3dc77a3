// Runs after both invocations: the classifier jar holds both layer artifacts (the configured one once, though two
// schedule names give it), the second build hit the cache, and the project's test ran both against the oracle.
import java.util.jar.JarFile

def log = new File(basedir, 'build.log').text
def jar = new File(basedir, 'target/compile-layers-1.0-linux-x86_64.jar')
assert jar.isFile() : "no CPU classifier jar"
def entries = new JarFile(jar).entries().collect { it.name }
def configured = 'layer_dim16_rms_zb+sdpa_float32_h2kv2_d8_causal-cpu-x86-64-v2'
def fromSpec = 'layer_dim16_ln_fox1.0+sdpa_float32_h2kv1_d8_causal_tiled-cpu-x86-64-v2'
for (name in [configured, fromSpec]) {
  assert entries.contains("META-INF/attn4j/artifacts/${name}/kernel.so".toString()) : "${name} not packaged"
  assert log.contains("${name} cache hit") : "second build did not hit the cache for ${name}"
}
assert log.contains('attn4j: 2 artifacts (0 cache hits)') : "expected 2 artifacts, the configured layer once"
def list = new File(basedir, 'target/test-classes/META-INF/attn4j/artifacts.list').text
assert list.contains(configured) && list.contains(fromSpec)
assert new File(basedir, 'target/surefire-reports/TEST-it.PackagedLayerTest.xml').text.contains('failures="0"')
return true
