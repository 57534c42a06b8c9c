"""Runs a command and reports its wall time and peak memory: the bench's stopwatch for peers that
run as separate processes (bench/word2vec.ts).

    python3 bench/peers/measure.py --json OUT.json [--env K=V ...] -- CMD ARG...

The command inherits stdin/stdout/stderr. When it has exited, OUT.json gets
{"wallSeconds", "maxRssKB", "exitCode", "signal", "userSeconds", "systemSeconds"}: wall time from
just before the start to the reaping of the process (monotonic clock), and the rusage of the
child as os.wait4 returns it for that one process (ru_maxrss: its peak resident set in KB on
Linux, including any children it waited for). SIGINT/SIGTERM are forwarded to the child. The
exit code of measure.py is the child's (128 + signal when killed).
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", required=True, help="where to write the measurement")
    ap.add_argument("--env", action="append", default=[], help="K=V added to the child's environment")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("no command given")
    env = dict(os.environ)
    for kv in a.env:
        k, _, v = kv.partition("=")
        env[k] = v
    t0 = time.monotonic()
    try:
        p = subprocess.Popen(cmd, env=env)
    except OSError as e:
        print(f"measure.py: cannot run {cmd[0]}: {e}", file=sys.stderr)
        sys.exit(127)

    def forward(sig, _frame):
        try:
            p.send_signal(sig)
        except ProcessLookupError:
            pass

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    while True:
        try:
            _, status, ru = os.wait4(p.pid, 0)
            break
        except InterruptedError:
            continue
    wall = time.monotonic() - t0
    p.returncode = 0  # reaped by hand; keep Popen from waiting again
    code = os.waitstatus_to_exitcode(status)
    out = {
        "wallSeconds": wall,
        "maxRssKB": ru.ru_maxrss,
        "userSeconds": ru.ru_utime,
        "systemSeconds": ru.ru_stime,
        "exitCode": code if code >= 0 else None,
        "signal": -code if code < 0 else None,
    }
    with open(a.json, "w") as f:
        json.dump(out, f)
        f.write("\n")
    sys.exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main()
