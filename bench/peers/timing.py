"""Timing loop shared by the CTC peers (torch_ctc.py, pyctcdecode_beam.py): warm-up calls, then up
to `a.reps` timed calls, stopping after `a.min_reps` once `a.max_seconds` have passed."""
import time


def time_calls(fn, a):
    for _ in range(a.warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < a.reps:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if len(times) >= a.min_reps and time.perf_counter() - start > a.max_seconds:
            break
    return times
