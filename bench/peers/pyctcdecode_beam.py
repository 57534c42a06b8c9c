#!/usr/bin/env python3
"""pyctcdecode peer of `npm run bench -- ctc`: CTC prefix beam search speed,
no language model. Runs in its own venv (bench/.cache/venv-ctcdecode, made by
bench/peers/setup_venv_ctcdecode.sh: pyctcdecode pins numpy < 2).

The data directory, written by `bench/ctc.ts`, holds
  emissions.f32  little-endian float32 [U, T, C]: U utterances of T frames of
                 log-probabilities over C tokens
  meta.json      { "U", "T", "C", "alphabet": "_ abc...'" (index 0, '_', is the
                 CTC blank, which pyctcdecode maps to ""), "beamPruneLogp",
                 "tokenMinLogp" }

For each --beam-widths W, `decoder.decode_beams(emissions[u], beam_width=W,
beam_prune_logp=..., token_min_logp=...)` over the U utterances:
  sequential  one process, one utterance after the other (each timed sample =
              all U utterances)
  pool        with --threads > 1: `decode_beams_batch(pool, ...)` on a fork
              multiprocessing.Pool(threads), pyctcdecode's own batch path (the
              pool is started and warmed up outside the timed calls)
pyctcdecode takes the rows as logits, log-softmaxes them (a no-op on
log-probs) and clips at log(1e-15): inside the timed call, as for any user.

Prints ONE JSON line:
  { "pyctcdecode": version, "numpy": version, "threads": n,
    "widths": { "32": { "sequential": [s, ...], "pool": [s, ...] | null,
                        "top": [[text, logitScore], ...U] }, ... } }

  python bench/peers/pyctcdecode_beam.py --data DIR --beam-widths 32,100 --threads 2
"""
import argparse
import importlib.metadata
import json
import logging
import multiprocessing as mp
import os

import numpy as np
from pyctcdecode import build_ctcdecoder

from timing import time_calls  # noqa: E402  (bench/peers/timing.py, beside this script)


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="directory with emissions.f32 and meta.json")
    p.add_argument("--beam-widths", default="32,100")
    p.add_argument("--threads", type=int, default=1, help="> 1: also time decode_beams_batch on a Pool of this many processes")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--min-reps", type=int, default=2)
    p.add_argument("--max-seconds", type=float, default=20.0)
    a = p.parse_args()
    widths = [int(w) for w in a.beam_widths.split(",") if w]
    if not widths or min(widths) < 1 or a.threads < 1 or a.reps < 1 or a.min_reps < 1 or a.warmup < 0:
        p.error("--beam-widths, --threads, --reps, --min-reps must be >= 1, --warmup >= 0")
    return a, widths


def main():
    a, widths = parse()
    logging.getLogger("pyctcdecode").setLevel(logging.ERROR)  # "no LM" / alphabet notices
    with open(os.path.join(a.data, "meta.json"), encoding="utf8") as f:
        meta = json.load(f)
    U, T, C = (int(meta[k]) for k in ("U", "T", "C"))
    labels = list(meta["alphabet"])
    if len(labels) != C:
        raise SystemExit(f"alphabet has {len(labels)} symbols, expected C = {C}")
    em = np.fromfile(os.path.join(a.data, "emissions.f32"), dtype="<f4")
    if em.size != U * T * C:
        raise SystemExit(f"emissions.f32 has {em.size} floats, expected {U * T * C}")
    utts = [np.ascontiguousarray(x) for x in em.reshape(U, T, C)]
    decoder = build_ctcdecoder(labels)
    prune, min_logp = float(meta["beamPruneLogp"]), float(meta["tokenMinLogp"])

    pool = mp.get_context("fork").Pool(a.threads) if a.threads > 1 else None
    out = {"pyctcdecode": importlib.metadata.version("pyctcdecode"), "numpy": np.__version__, "threads": a.threads, "widths": {}}
    try:
        for w in widths:
            kw = dict(beam_width=w, beam_prune_logp=prune, token_min_logp=min_logp)
            res = {}

            def sequential():
                res["beams"] = [decoder.decode_beams(u, **kw) for u in utts]

            r = {"sequential": time_calls(sequential, a), "pool": None}
            # top hypothesis per utterance: (text, logit score = CTC log-prob of the prefix within the beam)
            r["top"] = [[b[0][0], float(b[0][3])] for b in res["beams"]]
            if pool is not None:
                r["pool"] = time_calls(lambda: decoder.decode_beams_batch(pool, utts, **kw), a)
            out["widths"][str(w)] = r
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
