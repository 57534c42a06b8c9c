#!/usr/bin/env python3
"""PyTorch CPU peer of `npm run bench -- recurrent`.

One process measures one (cell, B, T, I, H) and prints ONE JSON line on stdout.

  --mode train   forward + backward of loss = (output * g).sum() with a fixed
                 random g (so grad_output == g, the same as seqlearn's
                 backward(g)); the input requires grad, so gradInput is
                 computed too, as in seqlearn. Grads are zeroed every step; no
                 optimizer step.
  --mode infer   forward under torch.inference_mode().
  --mode gemm    plain torch.mm of the recurrent step's shape [B,H]x[H,G*H]
                 and of the input projection's [T*B,I]x[I,G*H]: the machine's
                 GEMM throughput via torch (MKL / oneDNN), for reference.
  --mode train,infer,gemm  several in one process (one torch import).
  --export-onnx PATH  export the same 1-layer LSTM/GRU (seq_len T, batch B,
                 time-major, zero initial state) with the legacy TorchScript
                 exporter, opset 17, input "x", outputs "y", "h_n"[, "c_n"].

Times are the median seconds per step over the timed reps, after warm-up; the
reps stop early once --max-seconds of timed work has passed (at least
--min-reps are always taken).
"""
import argparse
import json
import statistics
import sys
import time
import warnings

import torch

GATES = {"lstm": 4, "gru": 3}


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cell", choices=sorted(GATES), required=True)
    p.add_argument("--B", type=int, required=True)
    p.add_argument("--T", type=int, required=True)
    p.add_argument("--I", type=int, required=True)
    p.add_argument("--H", type=int, required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--mode", default="train,infer", help="comma list of train, infer, gemm")
    p.add_argument("--reps", type=int, default=10, help="max timed reps per mode")
    p.add_argument("--min-reps", type=int, default=3)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--max-seconds", type=float, default=10.0, help="time box of the timed reps per mode")
    p.add_argument("--export-onnx", metavar="PATH", help="export the model to ONNX (no timing unless --mode given too)")
    p.add_argument("--json", action="store_true", help="accepted for symmetry; output is always one JSON line")
    return p.parse_args()


def timeit(fn, warmup, reps, min_reps, max_seconds):
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < reps:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if len(times) >= min_reps and time.perf_counter() - start > max_seconds:
            break
    return {"seconds": statistics.median(times), "reps": len(times), "min": min(times)}


def make_model(a):
    torch.manual_seed(42)
    cls = torch.nn.LSTM if a.cell == "lstm" else torch.nn.GRU
    return cls(a.I, a.H, num_layers=1, bidirectional=False, batch_first=False, dtype=torch.float32)


def gemm(a, m, n, k):
    """GFLOP/s of a plain [m,k]x[k,n] matmul via torch, weight stored [n,k] as in nn.LSTM/GRU.

    Two CPU GEMMs are timed: MKL (torch.mm, what nn.Linear uses) and oneDNN
    (mkldnn_linear, what torch's CPU LSTM/GRU use, and faster on AMD CPUs);
    "gflops" is the better of the two. Calls are batched so tiny shapes are
    timed reliably."""
    gen = torch.Generator().manual_seed(3)
    A = torch.randn(m, k, generator=gen)
    W = torch.randn(n, k, generator=gen)
    out = torch.empty(m, n)
    flops = 2.0 * m * n * k
    # aim at ~20 ms per timed batch
    inner = max(1, min(20000, int(0.02 / max(flops / 100e9, 1e-7))))

    def bench(f):
        def run():
            for _ in range(inner):
                f()
        r = timeit(run, 1, max(a.reps, 5), 5, min(a.max_seconds, 3.0))
        return flops / (r["seconds"] / inner) / 1e9

    by = {"mkl": bench(lambda: torch.mm(A, W.t(), out=out))}
    try:
        Am, Wm = A.to_mkldnn(), W.to_mkldnn()
        by["onednn"] = bench(lambda: torch._C._nn.mkldnn_linear(Am, Wm, None))
    except Exception as e:  # noqa: BLE001 - oneDNN not built in: MKL only
        print(f"oneDNN GEMM unavailable: {e}", file=sys.stderr)
    best = max(by, key=by.get)
    return {"m": m, "n": n, "k": k, "gflops": by[best], "via": best, "by": by}


def main():
    a = parse()
    torch.set_num_threads(a.threads)
    G = GATES[a.cell]
    res = {
        "peer": "torch",
        "torch": torch.__version__,
        "cell": a.cell,
        "B": a.B, "T": a.T, "I": a.I, "H": a.H,
        "threads": torch.get_num_threads(),
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "modes": {},
    }
    modes = [m for m in a.mode.split(",") if m] if a.mode else []

    model = make_model(a)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(a.T, a.B, a.I, generator=gen)

    if a.export_onnx:
        model.eval()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outs = ["y", "h_n", "c_n"] if a.cell == "lstm" else ["y", "h_n"]
            torch.onnx.export(model, (x,), a.export_onnx, dynamo=False, opset_version=17,
                              input_names=["x"], output_names=outs)
        res["onnx"] = a.export_onnx

    for mode in modes:
        if mode == "train":
            model.train()
            g = torch.randn(a.T, a.B, a.H, generator=torch.Generator().manual_seed(2))
            xt = x.clone().requires_grad_(True)

            def step():
                model.zero_grad()
                xt.grad = None
                out, _ = model(xt)
                loss = (out * g).sum()
                loss.backward()

            res["modes"]["train"] = timeit(step, a.warmup, a.reps, a.min_reps, a.max_seconds)
        elif mode == "infer":
            model.eval()

            def fwd():
                with torch.inference_mode():
                    model(x)

            res["modes"]["infer"] = timeit(fwd, a.warmup, a.reps, a.min_reps, a.max_seconds)
        elif mode == "gemm":
            res["modes"]["gemm"] = {
                "step": gemm(a, a.B, G * a.H, a.H),
                "proj": gemm(a, a.T * a.B, G * a.H, a.I),
            }
        else:
            print(f"unknown mode {mode!r}", file=sys.stderr)
            sys.exit(2)

    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
