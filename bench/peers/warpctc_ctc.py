#!/usr/bin/env python3
"""warp-ctc CPU peer of `npm run bench -- ctc`: CTC loss + gradient through
Baidu's warp-ctc C library, called with ctypes.

warp-ctc is not a dependency and nothing of it is in this repository: build its
CPU library (OpenMP on, CUDA off) from its public source yourself, outside this
tree, and pass the path of libwarpctc.so with --lib.

Same data directory as bench/peers/torch_ctc.py (logits.f32 [T, N, C] float32,
labels.i32 [N * L] int32 concatenated, meta.json { T, N, C, L, blank }).
`compute_ctc_loss` takes unnormalised activations (it softmaxes them itself),
time-major [T, N, C] like ours, the labels concatenated, and returns the
per-item costs and the gradient w.r.t. the activations (softmax - posterior):
the quantity of seqlearn's default `inputKind: 'logits'` with reduction 'sum'.
The workspace (size from `get_workspace_size`), the gradient and cost buffers
are allocated once, outside the timed calls, as its API intends.
ctcOptions: loc = CTC_CPU, num_threads = --threads (OpenMP over the batch),
blank_label = meta.blank.

Prints ONE JSON line:
  { "warpctc": version, "threads": n, "seconds": [s, ...], "losses": [N] }

  python bench/peers/warpctc_ctc.py --lib /path/libwarpctc.so --data DIR --threads 2
"""
import argparse
import ctypes
import json
import os
import time

import numpy as np

CTC_CPU = 0


class _StreamOrThreads(ctypes.Union):
    _fields_ = [("num_threads", ctypes.c_uint), ("stream", ctypes.c_void_p)]


class CtcOptions(ctypes.Structure):
    """struct ctcOptions of include/ctc.h: { ctcComputeLocation loc; union { unsigned num_threads; GPUstream stream; }; int blank_label; }"""
    _anonymous_ = ("u",)
    _fields_ = [("loc", ctypes.c_int), ("u", _StreamOrThreads), ("blank_label", ctypes.c_int)]


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lib", required=True, help="path of libwarpctc.so (CPU build)")
    p.add_argument("--data", required=True, help="directory with logits.f32, labels.i32, meta.json")
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--min-reps", type=int, default=3)
    p.add_argument("--max-seconds", type=float, default=5.0)
    p.add_argument("--dump-grad", default=None, help="write the gradient w.r.t. the activations here (float32 [T, N, C])")
    a = p.parse_args()
    if a.threads < 1 or a.reps < 1 or a.min_reps < 1 or a.warmup < 0:
        p.error("--threads, --reps, --min-reps must be >= 1, --warmup >= 0")
    return a


def load_lib(path):
    if not os.path.isfile(path):
        raise SystemExit(f"--lib {path}: no such file")
    lib = ctypes.CDLL(os.path.abspath(path))
    fp, ip = ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_int)
    lib.get_warpctc_version.restype = ctypes.c_int
    lib.ctcGetStatusString.restype = ctypes.c_char_p
    lib.ctcGetStatusString.argtypes = [ctypes.c_int]
    lib.get_workspace_size.restype = ctypes.c_int
    lib.get_workspace_size.argtypes = [ip, ip, ctypes.c_int, ctypes.c_int, CtcOptions, ctypes.POINTER(ctypes.c_size_t)]
    lib.compute_ctc_loss.restype = ctypes.c_int
    lib.compute_ctc_loss.argtypes = [fp, fp, ip, ip, ip, ctypes.c_int, ctypes.c_int, fp, ctypes.c_void_p, CtcOptions]
    return lib


def check(lib, status, what):
    if status != 0:
        raise SystemExit(f"warp-ctc {what}: {lib.ctcGetStatusString(status).decode()} (status {status})")


def main():
    a = parse()
    lib = load_lib(a.lib)
    with open(os.path.join(a.data, "meta.json"), encoding="utf8") as f:
        meta = json.load(f)
    T, N, C, L = (int(meta[k]) for k in ("T", "N", "C", "L"))
    acts = np.fromfile(os.path.join(a.data, "logits.f32"), dtype="<f4")
    labels = np.ascontiguousarray(np.fromfile(os.path.join(a.data, "labels.i32"), dtype="<i4").astype(np.int32))
    if acts.size != T * N * C or labels.size != N * L:
        raise SystemExit(f"{a.data}: logits.f32 has {acts.size} floats (expected {T * N * C}), labels.i32 {labels.size} ints (expected {N * L})")
    acts = np.ascontiguousarray(acts.astype(np.float32))
    label_lengths = np.full(N, L, dtype=np.int32)
    input_lengths = np.full(N, T, dtype=np.int32)
    grads = np.zeros_like(acts)
    costs = np.zeros(N, dtype=np.float32)

    opts = CtcOptions()
    opts.loc = CTC_CPU
    opts.num_threads = a.threads
    opts.blank_label = int(meta.get("blank", 0))

    fp, ip = ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_int)
    size = ctypes.c_size_t(0)
    check(lib, lib.get_workspace_size(label_lengths.ctypes.data_as(ip), input_lengths.ctypes.data_as(ip), C, N, opts, ctypes.byref(size)),
          "get_workspace_size")
    workspace = ctypes.create_string_buffer(max(1, size.value))
    args = (acts.ctypes.data_as(fp), grads.ctypes.data_as(fp), labels.ctypes.data_as(ip), label_lengths.ctypes.data_as(ip),
            input_lengths.ctypes.data_as(ip), C, N, costs.ctypes.data_as(fp), ctypes.cast(workspace, ctypes.c_void_p), opts)

    def call():
        check(lib, lib.compute_ctc_loss(*args), "compute_ctc_loss")

    for _ in range(a.warmup):
        call()
    times = []
    start = time.perf_counter()
    while len(times) < a.reps:
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
        if len(times) >= a.min_reps and time.perf_counter() - start > a.max_seconds:
            break
    if a.dump_grad:
        grads.astype("<f4").tofile(a.dump_grad)
    print(json.dumps({
        "warpctc": f"v{lib.get_warpctc_version()} ({os.path.abspath(a.lib)})", "threads": a.threads,
        "workspaceBytes": size.value, "seconds": times, "losses": costs.astype(float).tolist(),
    }), flush=True)


if __name__ == "__main__":
    main()
