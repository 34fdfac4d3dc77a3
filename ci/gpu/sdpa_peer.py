# GPU-side benchmark peer ONLY (never part of the build): PyTorch's scaled_dot_product_attention on the shape
# GpuCheck times (b=1 h=8 n=m=1024 d=64 fp32, plus causal), timed the same way (wall time over many calls
# between device synchronisations, median of rounds), and checked against float64 math on the same inputs.
import time
import torch
import torch.nn.functional as F


def bench(q, k, v, causal, rounds=5):
    F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    torch.cuda.synchronize()
    calls = max(1, min(1000, int(0.2 / max(time.perf_counter() - t0, 1e-6))))
    per = []
    for _ in range(rounds):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(calls):
            F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        torch.cuda.synchronize()
        per.append((time.perf_counter() - t0) / calls)
    return sorted(per)[rounds // 2], calls


def main():
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32 math, as attn4j's kernels
    b, h, n, m, d = 1, 8, 1024, 1024, 64
    g = torch.Generator(device="cuda").manual_seed(1)
    q = torch.rand(b, h, n, d, device="cuda", generator=g) * 4 - 2
    k = torch.rand(b, h, m, d, device="cuda", generator=g) * 4 - 2
    v = torch.rand(b, h, m, d, device="cuda", generator=g) * 2 - 1
    print(f"sdpa_peer: torch {torch.__version__}, {torch.cuda.get_device_name()}")
    for causal in (False, True):
        out = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        ref = F.scaled_dot_product_attention(q.double(), k.double(), v.double(), is_causal=causal)
        err = (out.double() - ref).abs().max().item()
        med, calls = bench(q, k, v, causal)
        flops = 4.0 * b * h * n * m * d
        print(f"  TIME torch sdpa b={b} h={h} n={n} m={m} d={d}{' causal' if causal else ''}: median {med * 1e3:.3f} ms"
              f" per call ({calls} calls per round), {flops / med / 1e9:.1f} GFLOP/s nominal, max|err| vs fp64 {err:.2e}")


if __name__ == "__main__":
    main()
