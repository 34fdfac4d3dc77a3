# GPU-side benchmark peer ONLY (never part of the build): PyTorch's attention on the shapes, dtypes and variants
# that GpuCheck times, timed the same way and written in the same table format, so that the two can be put side
# by side (this script joins them when given GpuCheck's attn4j.csv).
#
#   python3 sdpa_peer.py [--out DIR] [--attn4j DIR/attn4j.csv] [--budget SECONDS]
#
# Peers (each guarded: a backend that refuses a case, or is missing, gets a row saying so):
#   torch sdpa flash / cudnn / efficient   F.scaled_dot_product_attention inside torch.nn.attention.sdpa_kernel with
#                                          that backend only (flash and cudnn take fp16/bf16 only)
#   torch flex (compiled)                  torch.nn.attention.flex_attention under torch.compile, causal through a
#                                          block mask (so masked blocks are skipped), variants as score_mods:
#                                          ALiBi, soft-cap, FoX's data-dependent bias F_i - F_j
#   torch rope + sdpa flash / cudnn        rotary (interleaved pairs of the first d/2 dims, base 10000, cos/sin
#                                          cached) applied to q and k in eager PyTorch, then SDPA
# Shapes: b=4 h=8 n=m=4096 (the benchmark, b*h = 32) and b=1 h=8 n=m=1024; d = 64 and 128; causal and not;
# float32, float16, bfloat16 (flex: fp16/bf16 at the benchmark shape, compile time). Inputs as GpuCheck draws them:
# q, k ~ U(-2, 2), v ~ U(-1, 1), made in float32 and rounded to the dtype; FoX gates a = logsigmoid(z), z ~ U(2, 6),
# in multiples of 2^-8 (the same distribution, not the same values).
# Timing as GpuCheck: a warm-up call, then 5 rounds of about 0.1 s of calls between device synchronisations; the
# median per call; TFLOP/s by FlashAttention's count 4*b*h*n*m*d, halved when causal.
# Check: every output finite, and the last batch row's last 64 query rows against float64 math on the same
# (rounded) inputs, under GpuCheck's tolerances (fp32 2e-5, fp16 2e-3, bf16 1.6e-2, abs + rel * max|ref|).
import argparse
import csv
import math
import os
import time
import traceback
import zlib

COLUMNS = ["impl", "device", "dtype", "variant", "b", "h", "n", "m", "d", "causal", "ms", "tflops", "check"]
TOLERANCE = {"float32": 2e-5, "float16": 2e-3, "bfloat16": 1.6e-2}
BENCH = (4, 8, 4096, 4096)
SMALL = (1, 8, 1024, 1024)
CHECKED_ROWS = 64
SOFT_CAP = 50.0
ROUND_SECONDS = 0.1
ROUNDS = 5


def flops(b, h, n, m, d, causal):
    return 4.0 * b * h * n * m * d / (2 if causal else 1)


class Peer:
    def __init__(self, budget):
        import torch
        import torch.nn.functional as F
        self.torch = torch
        self.F = F
        self.deadline = time.monotonic() + budget
        self.rows = []
        self.inputs = {}
        torch.backends.cuda.matmul.allow_tf32 = False  # fp32 math, as attn4j's float32 kernels
        torch.backends.cudnn.allow_tf32 = False
        try:
            from torch.nn.attention import SDPBackend, sdpa_kernel
            self.sdpa_kernel, self.backends = sdpa_kernel, {
                "flash": SDPBackend.FLASH_ATTENTION, "cudnn": SDPBackend.CUDNN_ATTENTION,
                "efficient": SDPBackend.EFFICIENT_ATTENTION}
        except Exception as e:  # noqa: BLE001 - any import failure makes the backends unavailable
            self.sdpa_kernel, self.backends, self.sdpa_error = None, {}, repr(e)
        try:
            from torch.nn.attention.flex_attention import create_block_mask, flex_attention
            import torch._dynamo
            for limit in ("cache_size_limit", "recompile_limit"):  # one compile per case: past the default 8
                if hasattr(torch._dynamo.config, limit):
                    setattr(torch._dynamo.config, limit, 64)
            self.flex = torch.compile(flex_attention, dynamic=False)
            self.create_block_mask = create_block_mask
        except Exception as e:  # noqa: BLE001
            self.flex, self.flex_error = None, repr(e)

    # ---- inputs and variants -------------------------------------------------------------------------------
    def qkv(self, dtype, b, h, n, m, d):
        key = (dtype, b, h, n, m, d)
        if key not in self.inputs:
            torch = self.torch
            self.inputs.clear()  # one shape at a time on the GPU
            g = torch.Generator(device="cuda").manual_seed(zlib.crc32(repr(key).encode()))
            t = getattr(torch, dtype)
            q = (torch.rand(b, h, n, d, device="cuda", generator=g) * 4 - 2).to(t)
            k = (torch.rand(b, h, m, d, device="cuda", generator=g) * 4 - 2).to(t)
            v = (torch.rand(b, h, m, d, device="cuda", generator=g) * 2 - 1).to(t)
            self.inputs[key] = (q, k, v)
        return self.inputs[key]

    def score_mod(self, variant, b, h, n, m):
        """The variant as a FlexAttention score_mod, also applied by the float64 reference on index tensors."""
        torch = self.torch
        off = m - n  # query row i sits at key position i + m - n, as in attn4j
        if variant == "alibi":
            slopes = torch.tensor([2.0 ** (-8.0 * (i + 1) / h) for i in range(h)], device="cuda")
            return lambda s, bi, hi, qi, ki: s - slopes[hi] * (qi + off - ki).abs()
        if variant == "softcap":
            return lambda s, bi, hi, qi, ki: SOFT_CAP * torch.tanh(s / SOFT_CAP)
        if variant == "fox":
            g = torch.Generator(device="cuda").manual_seed(7)
            z = torch.rand(b, h, m, device="cuda", generator=g, dtype=torch.float64) * 4 + 2
            a = torch.round(torch.nn.functional.logsigmoid(z) * 256) / 256
            cum = torch.cumsum(a, -1).float()  # F, exact in float32 (multiples of 2^-8)
            return lambda s, bi, hi, qi, ki: s + cum[bi, hi, qi + off] - cum[bi, hi, ki]
        return None

    def rope(self, d, positions):
        """Interleaved rotary on the first r = d/2 dims: cos/sin [t, r/2] for the positions."""
        torch = self.torch
        r = d // 2
        inv = 1.0 / (10000.0 ** (torch.arange(0, r, 2, device="cuda", dtype=torch.float32) / r))
        ang = positions.float()[:, None] * inv[None, :]
        return r, ang.cos(), ang.sin()

    @staticmethod
    def rotate(x, r, cos, sin):
        import torch
        pairs = x[..., :r].float().unflatten(-1, (r // 2, 2))
        a, b = pairs[..., 0], pairs[..., 1]
        out = torch.stack((a * cos - b * sin, b * cos + a * sin), -1).flatten(-2)
        return torch.cat((out.to(x.dtype), x[..., r:]), -1)

    # ---- one peer call ------------------------------------------------------------------------------------
    def call(self, impl, variant, q, k, v, causal):
        """A no-argument function computing the output, or raises if the peer cannot do the case."""
        torch, F = self.torch, self.F
        b, h, n, d = q.shape
        m = k.shape[2]
        if impl.startswith("torch sdpa") or impl.startswith("torch rope + sdpa"):
            if self.sdpa_kernel is None:
                raise RuntimeError("torch.nn.attention.sdpa_kernel unavailable: " + self.sdpa_error)
            backend = self.backends[impl.split()[-1]]
            if variant == "rotary":
                r, cos, sin = self.rope(d, torch.arange(m, device="cuda"))
                qc, qs = cos[m - n:], sin[m - n:]

                def run():
                    with self.sdpa_kernel([backend]):
                        return F.scaled_dot_product_attention(self.rotate(q, r, qc, qs), self.rotate(k, r, cos, sin),
                                                              v, is_causal=causal)
                return run

            def run():
                with self.sdpa_kernel([backend]):
                    return F.scaled_dot_product_attention(q, k, v, is_causal=causal)
            return run
        if impl == "torch flex (compiled)":
            if self.flex is None:
                raise RuntimeError("flex_attention unavailable: " + self.flex_error)
            mod = self.score_mod(variant, b, h, n, m)
            block_mask = None
            if causal:
                off = m - n
                block_mask = self.create_block_mask(lambda bi, hi, qi, ki: qi + off >= ki, None, None, n, m,
                                                    device="cuda")
            return lambda: self.flex(q, k, v, score_mod=mod, block_mask=block_mask)
        raise ValueError(impl)

    def reference_rows(self, variant, q, k, v, causal, rows):
        """float64 attention of the last batch row's last `rows` queries (all keys), as GpuCheck checks."""
        torch = self.torch
        b, h, n, d = q.shape
        m = k.shape[2]
        qs, ks, vs = q[-1:, :, n - rows:].double(), k[-1:].double(), v[-1:].double()
        if variant == "rotary":
            r, cos, sin = self.rope(d, torch.arange(m, device="cuda", dtype=torch.float64))
            qs = self.rotate(qs, r, cos[m - rows:].double(), sin[m - rows:].double())  # rows at m - rows .. m - 1
            ks = self.rotate(ks, r, cos.double(), sin.double())
        s = qs @ ks.transpose(-1, -2) / math.sqrt(d)
        qi = torch.arange(n - rows, n, device="cuda")[None, None, :, None]
        ki = torch.arange(m, device="cuda")[None, None, None, :]
        mod = self.score_mod(variant, b, h, n, m)
        if mod is not None:
            bi = torch.full((1, 1, 1, 1), b - 1, device="cuda")
            hi = torch.arange(h, device="cuda")[None, :, None, None]
            s = mod(s, bi, hi, qi, ki).double()
        if causal:
            s = s.masked_fill(ki > qi + (m - n), float("-inf"))
        return torch.softmax(s, -1) @ vs

    # ---- timing and the table -----------------------------------------------------------------------------
    def time(self, run):
        torch = self.torch
        run()
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        run()
        torch.cuda.synchronize()
        one = time.perf_counter() - t0
        calls = max(1, min(1000, int(ROUND_SECONDS / max(one, 1e-6))))
        per = []
        for _ in range(3 if one > 1 else ROUNDS):
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            for _ in range(calls):
                run()
            torch.cuda.synchronize()
            per.append((time.perf_counter() - t0) / calls)
        return sorted(per)[len(per) // 2]

    def case(self, impl, dtype, variant, shape, d, causal):
        b, h, n, m = shape
        row = dict(impl=impl, device="cuda:0", dtype=dtype, variant=variant, b=b, h=h, n=n, m=m, d=d,
                   causal=str(causal).lower(), ms="nan", tflops="nan", check="")
        label = f"{impl} {dtype} {variant} b={b} h={h} n={n} m={m} d={d}{' causal' if causal else ''}"
        if time.monotonic() > self.deadline:
            row["check"] = "SKIPPED: time budget spent"
            self.rows.append(row)
            return
        try:
            q, k, v = self.qkv(dtype, b, h, n, m, d)
            run = self.call(impl, variant, q, k, v, causal)
            med = self.time(run)
            out = run()
            self.torch.cuda.synchronize()
            finite = bool(self.torch.isfinite(out).all())
            rows = min(CHECKED_ROWS, n)
            ref = self.reference_rows(variant, q, k, v, causal, rows)
            err = (out[-1:, :, n - rows:].double() - ref).abs().max().item()
            bound = TOLERANCE[dtype] * (1 + ref.abs().max().item())
            ok = finite and err <= bound
            row["ms"] = f"{med * 1e3:.4f}"
            row["tflops"] = f"{flops(b, h, n, m, d, causal) / med / 1e12:.2f}"
            row["check"] = (f"{'PASS' if ok else 'FAIL'}: {'all outputs finite' if finite else 'NOT all finite'};"
                            f" last {rows} rows max abs err {err:.2e} vs fp64 (bound {bound:.1e})")
            print(f"  TIME {label}: median {med * 1e3:.3f} ms, {row['tflops']} TFLOP/s; {row['check']}", flush=True)
        except Exception as e:  # noqa: BLE001 - a peer that cannot run this case is reported, not fatal
            msg = " ".join(str(e).split())[:160] or type(e).__name__
            row["check"] = f"UNAVAILABLE: {type(e).__name__}: {msg}"
            print(f"  n/a  {label}: {row['check']}", flush=True)
            if os.environ.get("SDPA_PEER_TRACEBACK"):
                traceback.print_exc()
        self.rows.append(row)


def plan():
    """Cases in priority order (the budget cuts from the end): the benchmark shape in 16 bits first."""
    sdpa16 = ["torch sdpa flash", "torch sdpa cudnn"]
    cases = []
    for dtype in ("float16", "bfloat16"):
        for d in (64, 128):
            for causal in (False, True):
                for impl in sdpa16 + ["torch flex (compiled)"]:
                    cases.append((impl, dtype, "core", BENCH, d, causal))
    for variant in ("alibi", "softcap", "fox"):
        cases.append(("torch flex (compiled)", "float16", variant, BENCH, 64, True))
    for impl in ("torch rope + sdpa flash", "torch rope + sdpa cudnn"):
        cases.append((impl, "float16", "rotary", BENCH, 64, True))
    for d in (64, 128):
        for causal in (False, True):
            cases.append(("torch sdpa efficient", "float32", "core", BENCH, d, causal))
    for dtype in ("float32", "float16", "bfloat16"):
        for d in (64, 128):
            for causal in (False, True):
                for impl in (sdpa16 if dtype != "float32" else []) + ["torch sdpa efficient"]:
                    cases.append((impl, dtype, "core", SMALL, d, causal))
    cases.append(("torch rope + sdpa flash", "float16", "rotary", SMALL, 64, True))
    for dtype in ("float16", "bfloat16"):
        for d in (64, 128):
            for causal in (False, True):
                cases.append(("torch sdpa efficient", dtype, "core", BENCH, d, causal))
    return cases


def markdown(rows, columns):
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(str(r[c]).replace("|", "/") for c in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def write(out_dir, name, rows, columns):
    with open(os.path.join(out_dir, name + ".csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        w.writerows(rows)
    with open(os.path.join(out_dir, name + ".md"), "w") as f:
        f.write(markdown(rows, columns))


def side_by_side(attn4j_rows, peer_rows):
    """One row per case: attn4j's best TFLOP/s (and which artifact) beside every peer's."""
    key_cols = ["dtype", "variant", "b", "h", "n", "m", "d", "causal"]
    peers = sorted({r["impl"] for r in peer_rows})
    table = {}
    for r in attn4j_rows + peer_rows:
        key = tuple(str(r[c]) for c in key_cols)
        entry = table.setdefault(key, {"attn4j": None})
        try:
            rate = float(r["tflops"])
        except ValueError:
            rate = float("nan")
        if r["impl"].startswith("attn4j"):
            if not math.isnan(rate) and (entry["attn4j"] is None or rate > entry["attn4j"][0]):
                entry["attn4j"] = (rate, r["impl"].removeprefix("attn4j "))
        else:
            entry[r["impl"]] = rate
    columns = key_cols + ["attn4j best", "attn4j impl"] + peers + ["attn4j / best peer"]
    rows = []
    for key, entry in sorted(table.items()):
        row = dict(zip(key_cols, key))
        best = entry["attn4j"]
        row["attn4j best"] = f"{best[0]:.1f}" if best else "-"
        row["attn4j impl"] = best[1] if best else "-"
        rates = [entry[p] for p in peers if p in entry and not math.isnan(entry[p])]
        for p in peers:
            row[p] = "-" if p not in entry else "n/a" if math.isnan(entry[p]) else f"{entry[p]:.1f}"
        row["attn4j / best peer"] = f"{best[0] / max(rates):.2f}" if best and rates else "-"
        rows.append(row)
    return rows, columns


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", help="folder for peer.csv/.md (and side_by_side.csv/.md with --attn4j)")
    ap.add_argument("--attn4j", help="GpuCheck's attn4j.csv, to join side by side")
    ap.add_argument("--budget", type=float, default=240.0, help="seconds; cases not started by then are skipped")
    args = ap.parse_args()
    try:
        import torch
        if not torch.cuda.is_available():
            print("sdpa_peer: torch sees no CUDA device; nothing to time")
            return
    except ImportError as e:
        print(f"sdpa_peer: no torch ({e}); nothing to time")
        return
    peer = Peer(args.budget)
    print(f"sdpa_peer: torch {torch.__version__}, {torch.cuda.get_device_name()}, budget {args.budget:.0f} s",
          flush=True)
    for c in plan():
        peer.case(*c)
    print("== peers (median per call; TFLOP/s by FlashAttention's 4*b*h*n*m*d, halved when causal)")
    print(markdown(peer.rows, COLUMNS))
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        write(args.out, "peer", peer.rows, COLUMNS)
    if args.attn4j and os.path.exists(args.attn4j):
        with open(args.attn4j, newline="") as f:
            ours = list(csv.DictReader(f))
        rows, columns = side_by_side(ours, peer.rows)
        print("== side by side (TFLOP/s; attn4j best over its artifacts)")
        print(markdown(rows, columns))
        if args.out:
            write(args.out, "side_by_side", rows, columns)


if __name__ == "__main__":
    main()
