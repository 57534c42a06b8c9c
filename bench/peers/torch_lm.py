#!/usr/bin/env python3
"""PyTorch CPU peer of `npm run bench -- lm`, and the reference trainer of the
char-LM example.

The model: Embedding(V, embed) -> LSTM(embed -> hidden, layers; seq-first)
-> Linear(hidden -> V), PyTorch default init, seeded. A training step is the
idiomatic PyTorch loop: forward on one window of seq_len characters of B
parallel streams with the (detached) state carried over from the previous
window, F.cross_entropy (mean over all seq_len*B tokens), loss.backward(),
clip_grad_norm_(params, clip), Adam.step(), zero_grad(set_to_none=True).

The data directory, written by `bench/lm.ts`, holds train.i32 and valid.i32
(little-endian int32 character ids) and meta.json ({ vocabSize, embed, hidden,
layers, batch, seqLen, lr, clip, threads, seed, ... }); the command-line flags
below override meta.json's config.

  --mode bench --warmup W --steps S
      times S steps (after W warm-up steps) on consecutive full windows of the
      training stream; prints ONE JSON line
      { "secondsPerStep": [...], "torch": version, "threads": n, ... }.
  --mode train --epochs E [--max-steps-per-epoch N]
      the reference training: the training stream batchified into B contiguous
      streams (PyTorch examples/word_language_model `batchify`: the tail that
      does not fill a row is dropped), windows of seq_len with targets shifted
      by one (the last window is shorter), the state carried and detached, every
      epoch in order (no shuffling). After each epoch, the mean per-character
      cross-entropy on the validation stream (batchified with the same B, state
      carried, no grad). Prints one JSON line per epoch
      { "epoch", "trainLoss", "validLoss", "seconds" } (seconds: cumulative wall
      time of training and evaluation).

  python bench/peers/torch_lm.py --data DIR --mode train --epochs 1
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="directory with train.i32, valid.i32, meta.json")
    p.add_argument("--mode", choices=["bench", "train"], required=True)
    p.add_argument("--warmup", type=int, default=3, help="bench: untimed steps first")
    p.add_argument("--steps", type=int, default=20, help="bench: timed steps")
    p.add_argument("--epochs", type=int, default=1, help="train: epochs")
    p.add_argument("--max-steps-per-epoch", type=int, default=0, help="train: cut each epoch short (0: whole epoch)")
    for k, t in [("embed", int), ("hidden", int), ("layers", int), ("batch", int), ("seq-len", int),
                 ("lr", float), ("clip", float), ("threads", int), ("seed", int)]:
        p.add_argument(f"--{k}", type=t, default=None, help="overrides meta.json")
    p.add_argument("--json", action="store_true", help="accepted for symmetry; output is always JSON lines")
    a = p.parse_args()
    with open(os.path.join(a.data, "meta.json"), encoding="utf8") as f:
        meta = json.load(f)
    cfg = {
        "vocabSize": int(meta["vocabSize"]),
        "embed": a.embed if a.embed is not None else int(meta["embed"]),
        "hidden": a.hidden if a.hidden is not None else int(meta["hidden"]),
        "layers": a.layers if a.layers is not None else int(meta["layers"]),
        "batch": a.batch if a.batch is not None else int(meta["batch"]),
        "seqLen": a.seq_len if a.seq_len is not None else int(meta["seqLen"]),
        "lr": a.lr if a.lr is not None else float(meta["lr"]),
        "clip": a.clip if a.clip is not None else float(meta["clip"]),
        "threads": a.threads if a.threads is not None else int(meta["threads"]),
        "seed": a.seed if a.seed is not None else int(meta["seed"]),
    }
    for k in ("vocabSize", "embed", "hidden", "layers", "batch", "seqLen", "threads"):
        if cfg[k] < 1:
            p.error(f"{k} must be >= 1, got {cfg[k]}")
    if not (cfg["lr"] > 0 and cfg["clip"] > 0):
        p.error(f"lr and clip must be > 0, got lr={cfg['lr']} clip={cfg['clip']}")
    return a, cfg


def load_ids(path, vocab_size):
    ids = np.fromfile(path, dtype="<i4")
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        sys.exit(f"{path}: ids must lie in [0, {vocab_size}), found [{ids.min()}, {ids.max()}]")
    return torch.from_numpy(ids.astype(np.int64))


def batchify(ids, batch):
    """[N] -> [N // batch, batch]: column b is the b-th contiguous slice of the stream (the tail is dropped)."""
    rows = ids.numel() // batch
    if rows < 2:
        sys.exit(f"stream of {ids.numel()} ids is too short for batch {batch}")
    return ids[: rows * batch].view(batch, rows).t().contiguous()


def windows(source, seq_len, full_only=False):
    """(inputs [t, B], targets [t*B]) over consecutive windows; targets are the inputs shifted by one."""
    for i in range(0, source.size(0) - 1, seq_len):
        t = min(seq_len, source.size(0) - 1 - i)
        if full_only and t < seq_len:
            return
        yield source[i:i + t], source[i + 1:i + 1 + t].reshape(-1)


class CharLM(nn.Module):
    def __init__(self, vocab, embed, hidden, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers)
        self.decoder = nn.Linear(hidden, vocab)

    def forward(self, ids, state):
        out, state = self.lstm(self.embedding(ids), state)
        return self.decoder(out).view(-1, self.decoder.out_features), state


def detach(state):
    return None if state is None else tuple(s.detach() for s in state)


def make(cfg):
    torch.manual_seed(cfg["seed"])
    model = CharLM(cfg["vocabSize"], cfg["embed"], cfg["hidden"], cfg["layers"])
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    return model, opt


def train_step(model, opt, params, clip, inputs, targets, state):
    """One step; returns (loss tensor, detached new state)."""
    logits, state = model(inputs, state)
    loss = F.cross_entropy(logits, targets)
    loss.backward()
    nn.utils.clip_grad_norm_(params, clip)
    opt.step()
    opt.zero_grad(set_to_none=True)
    return loss.detach(), detach(state)


def bench(a, cfg, train):
    model, opt = make(cfg)
    params = list(model.parameters())
    model.train()
    source = batchify(train, cfg["batch"])
    batches = list(windows(source, cfg["seqLen"], full_only=True))
    if not batches:
        sys.exit(f"training stream too short for one window of {cfg['seqLen']} x {cfg['batch']}")
    state, times = None, []
    for k in range(a.warmup + a.steps):
        j = k % len(batches)
        if j == 0:
            state = None  # wrapped around the stream: start again from a zero state
        inputs, targets = batches[j]
        t0 = time.perf_counter()
        _, state = train_step(model, opt, params, cfg["clip"], inputs, targets, state)
        if k >= a.warmup:
            times.append(time.perf_counter() - t0)
    res = {
        "peer": "torch", "torch": torch.__version__, "threads": torch.get_num_threads(),
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "secondsPerStep": times,
        "median": statistics.median(times) if times else None,
        "params": sum(p.numel() for p in params),
    }
    print(json.dumps(res), flush=True)


def evaluate(model, source, seq_len):
    """Mean per-character cross-entropy over the batchified stream, state carried, no grad."""
    model.eval()
    total, count, state = torch.zeros((), dtype=torch.float64), 0, None
    with torch.no_grad():
        for inputs, targets in windows(source, seq_len):
            logits, state = model(inputs, state)
            total += F.cross_entropy(logits, targets, reduction="sum").double()
            count += targets.numel()
    return total.item() / count


def train(a, cfg, train_ids, valid_ids):
    model, opt = make(cfg)
    params = list(model.parameters())
    train_src = batchify(train_ids, cfg["batch"])
    valid_src = batchify(valid_ids, cfg["batch"])
    print(f"[torch_lm] torch {torch.__version__}, {torch.get_num_threads()} thread(s), "
          f"{sum(p.numel() for p in params)} parameters, train {tuple(train_src.shape)}, "
          f"valid {tuple(valid_src.shape)} (time x batch)", file=sys.stderr, flush=True)
    start = time.perf_counter()
    for epoch in range(1, a.epochs + 1):
        model.train()
        total, count, state, steps = torch.zeros((), dtype=torch.float64), 0, None, 0
        for inputs, targets in windows(train_src, cfg["seqLen"]):
            if a.max_steps_per_epoch and steps >= a.max_steps_per_epoch:
                break
            loss, state = train_step(model, opt, params, cfg["clip"], inputs, targets, state)
            total += loss.double() * targets.numel()
            count += targets.numel()
            steps += 1
        train_loss = total.item() / count
        valid_loss = evaluate(model, valid_src, cfg["seqLen"])
        print(json.dumps({
            "epoch": epoch, "trainLoss": train_loss, "validLoss": valid_loss,
            "seconds": time.perf_counter() - start, "steps": steps, "tokens": count,
        }), flush=True)


def main():
    a, cfg = parse()
    torch.set_num_threads(cfg["threads"])
    train_ids = load_ids(os.path.join(a.data, "train.i32"), cfg["vocabSize"])
    if a.mode == "bench":
        bench(a, cfg, train_ids)
    else:
        valid_ids = load_ids(os.path.join(a.data, "valid.i32"), cfg["vocabSize"])
        train(a, cfg, train_ids, valid_ids)


if __name__ == "__main__":
    main()
