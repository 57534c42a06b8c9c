#!/usr/bin/env python3
"""PyTorch CPU peer of `npm run bench -- ctc`: CTC loss + gradient.

The data directory, written by `bench/ctc.ts`, holds
  logits.f32   little-endian float32 [T, N, C] (time-major, C contiguous)
  labels.i32   little-endian int32 [N * L]: the targets, concatenated (every item has L labels)
  meta.json    { "T", "N", "C", "L", "blank" } (every input length is T)

Two timed quantities (each: --warmup untimed calls, then --reps timed ones, at
least --min-reps, stopping early once --max-seconds have passed):
  logits    the loss and its gradient w.r.t. the logits, the quantity seqlearn's
            default `inputKind: 'logits'` computes: log_softmax + F.ctc_loss(
            reduction='sum') + backward (logits.grad = softmax - posterior)
  logprobs  F.ctc_loss(reduction='sum') on precomputed log-probabilities +
            backward alone (PyTorch's convention: grad = exp(lp) - posterior)

Targets are passed padded [N, L] int64, the lengths as int64 tensors.

Also (untimed) the per-item losses of the f32 fused path and, as the accuracy
reference, of the same computation in float64 on the same (f32) logits.
--dump-grad PATH writes the f32 gradient w.r.t. the logits there (float32 LE
[T, N, C]) for the driver's gradient checks.

Prints ONE JSON line:
  { "torch": version, "threads": n, "modes": { "logits": [s, ...], "logprobs": [s, ...] },
    "losses": [N], "lossesF64": [N] }

  python bench/peers/torch_ctc.py --data DIR --threads 2 --modes logits,logprobs
"""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

from timing import time_calls  # noqa: E402  (bench/peers/timing.py, beside this script)


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="directory with logits.f32, labels.i32, meta.json")
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--modes", default="logits,logprobs", help="comma-separated subset of logits,logprobs")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--min-reps", type=int, default=3)
    p.add_argument("--max-seconds", type=float, default=5.0)
    p.add_argument("--no-f64", action="store_true", help="skip the float64 reference losses")
    p.add_argument("--dump-grad", default=None, help="write the f32 gradient w.r.t. the logits here")
    a = p.parse_args()
    modes = [m for m in a.modes.split(",") if m]
    for m in modes:
        if m not in ("logits", "logprobs"):
            p.error(f"--modes: unknown mode {m}")
    if a.threads < 1 or a.reps < 1 or a.min_reps < 1 or a.warmup < 0:
        p.error("--threads, --reps, --min-reps must be >= 1, --warmup >= 0")
    return a, modes


def load(d):
    with open(os.path.join(d, "meta.json"), encoding="utf8") as f:
        meta = json.load(f)
    T, N, C, L = (int(meta[k]) for k in ("T", "N", "C", "L"))
    x = np.fromfile(os.path.join(d, "logits.f32"), dtype="<f4")
    y = np.fromfile(os.path.join(d, "labels.i32"), dtype="<i4")
    if x.size != T * N * C or y.size != N * L:
        raise SystemExit(f"{d}: logits.f32 has {x.size} floats (expected {T * N * C}), labels.i32 {y.size} ints (expected {N * L})")
    logits = torch.from_numpy(x.reshape(T, N, C).copy())
    targets = torch.from_numpy(y.astype(np.int64).reshape(N, L))
    il = torch.full((N,), T, dtype=torch.int64)
    tl = torch.full((N,), L, dtype=torch.int64)
    return meta, logits, targets, il, tl


def main():
    a, modes = parse()
    torch.set_num_threads(a.threads)
    meta, logits, targets, il, tl = load(a.data)
    blank = int(meta.get("blank", 0))

    x = logits.clone().requires_grad_(True)

    def fused():
        x.grad = None
        lp = F.log_softmax(x, dim=-1)
        loss = F.ctc_loss(lp, targets, il, tl, blank=blank, reduction="sum")
        loss.backward()
        return loss

    lp0 = F.log_softmax(logits, dim=-1).detach()
    lpx = lp0.clone().requires_grad_(True)

    def on_logprobs():
        lpx.grad = None
        loss = F.ctc_loss(lpx, targets, il, tl, blank=blank, reduction="sum")
        loss.backward()
        return loss

    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "modes": {}}
    for m in modes:
        out["modes"][m] = time_calls(fused if m == "logits" else on_logprobs, a)

    # per-item losses of the f32 path, and the float64 reference, untimed
    with torch.no_grad():
        out["losses"] = F.ctc_loss(F.log_softmax(logits, dim=-1), targets, il, tl, blank=blank, reduction="none").tolist()
        if not a.no_f64:
            lp64 = F.log_softmax(logits.double(), dim=-1)
            out["lossesF64"] = F.ctc_loss(lp64, targets, il, tl, blank=blank, reduction="none").tolist()
    if a.dump_grad:
        fused()
        x.grad.numpy().astype("<f4").tofile(a.dump_grad)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
