#!/usr/bin/env python3
"""Compare tern-server with nats-server under the same NATS-protocol load.

Runs tern-loadgen against server A (tern) and server B (nats-server) in
alternation, A B A B ..., for several rounds, each scenario against a fresh
server process on a free loopback port, and prints a Markdown table of the
medians with the ratio A/B and which direction is better.

Both servers are started the same way: PATH -a 127.0.0.1 -p PORT [extra args],
with default settings and the file-descriptor limit raised to the hard limit.

Standard library only. Example:
  python3 bench/load/compare.py --tern build/apps/tern-server --nats /usr/bin/nats-server
"""

import argparse
import json
import os
import resource
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CLK_TCK = os.sysconf("SC_CLK_TCK")

# name -> (title, loadgen args at full size, [(result key, row title, unit, better)]).
# Counts are sized for a few seconds per run on a 2-core machine; --quick
# divides the message counts by QUICK_DIVISOR.
SCENARIOS = {
    "pub16": ("pub-only 16 B", ["pub", "--msgs", "12000000", "--size", "16"],
              [("msgs_per_sec", "pub-only 16 B", "msgs/s", "higher")]),
    "pubsub16": ("pub/sub 1:1 16 B", ["pubsub", "--msgs", "5000000", "--size", "16", "--subs", "1"],
                 [("delivered_per_sec", "pub/sub 1:1 16 B", "msgs/s", "higher")]),
    "pubsub128": ("pub/sub 1:1 128 B", ["pubsub", "--msgs", "4000000", "--size", "128", "--subs", "1"],
                  [("delivered_per_sec", "pub/sub 1:1 128 B", "msgs/s", "higher")]),
    "fanout10": ("fan-out 1:10 128 B", ["pubsub", "--msgs", "800000", "--size", "128", "--subs", "10"],
                 [("delivered_per_sec", "fan-out 1:10 128 B (delivered, all subscribers)", "msgs/s", "higher")]),
    "queue4": ("queue 1->4 members 128 B", ["queue", "--msgs", "3000000", "--size", "128", "--members", "4"],
               [("delivered_per_sec", "queue group 1 -> 4 members 128 B", "msgs/s", "higher")]),
    "reqrep": ("request/reply 128 B", ["reqrep", "--msgs", "30000", "--size", "128", "--warmup", "2000"],
               [("p50_us", "request/reply 128 B p50", "us", "lower"),
                ("p99_us", "request/reply 128 B p99", "us", "lower")]),
    "idle10k": ("10,000 idle connections, 1 SUB each", ["idle", "--conns", "10000", "--hold", "120"],
                [("rss_per_conn", "10,000 idle conns + 1 SUB each: RSS per connection", "bytes", "lower")]),
}
QUICK_DIVISOR = 5
COUNT_FLAGS = ("--msgs", "--warmup")
LOADGEN_TIMEOUT_S = 60


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


class Server:
    """One server process on a free loopback port; stop() always reaps it."""

    def __init__(self, path, extra_args, log_dir, tag):
        self.path = path
        self.extra_args = extra_args
        self.log_path = Path(log_dir) / f"{tag}.log"
        self.proc = None
        self.port = None

    def start(self, timeout=10.0):
        self.port = free_port()
        argv = [self.path, "-a", "127.0.0.1", "-p", str(self.port)] + self.extra_args
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.path} exited with {self.proc.returncode}: {self.log_tail()}")
            if self._probe():
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.path} did not send INFO on port {self.port} within {timeout}s")

    def _probe(self):
        """Ready when a connection gets the INFO line."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as s:
                data = b""
                while b"\r\n" not in data and len(data) < 65536:
                    chunk = s.recv(4096)
                    if not chunk:
                        return False
                    data += chunk
                return data.startswith(b"INFO ")
        except OSError:
            return False

    def rss_bytes(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.proc = None

    def log_tail(self, lines=5):
        try:
            return " | ".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def parse_result(stdout):
    for line in stdout.splitlines():
        if line.startswith("{"):
            return json.loads(line)
    return None


def run_loadgen(loadgen, server, args):
    """Runs one non-idle scenario; returns (result dict or None, error text, server cpu % while it ran)."""
    argv = [loadgen] + args + ["--port", str(server.port), "--timeout", str(LOADGEN_TIMEOUT_S)]
    cpu0 = server.cpu_seconds()
    t0 = time.monotonic()
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=LOADGEN_TIMEOUT_S + 30)
    except subprocess.TimeoutExpired:
        return None, "loadgen hung past its own timeout", 0.0
    server_cpu = 100 * (server.cpu_seconds() - cpu0) / max(time.monotonic() - t0, 1e-9)
    result = parse_result(proc.stdout)
    if result is None:
        return None, f"loadgen exit {proc.returncode}, no result: {proc.stderr.strip()[-300:]}", server_cpu
    if proc.returncode != 0 or not result.get("ok"):
        return result, result.get("error", f"loadgen exit {proc.returncode}"), server_cpu
    return result, "", server_cpu


def run_idle(loadgen, server, args):
    """Opens the idle connections, samples the server's RSS while they are held."""
    time.sleep(0.3)  # let the just-started server settle before the baseline
    rss_before = server.rss_bytes()
    argv = [loadgen] + args + ["--port", str(server.port), "--timeout", str(LOADGEN_TIMEOUT_S)]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        result = parse_result(first)
        if result is None or not result.get("ok"):
            proc.stdin.close()
            proc.wait(timeout=LOADGEN_TIMEOUT_S + 30)
            err = result.get("error") if result else f"no result ({first.strip()} {proc.stderr.read()[-300:]})"
            return result, err, 0.0
        # Go's runtime and allocators settle for a moment after a burst of
        # connections; take the highest reading over the next second.
        rss_after = 0
        for _ in range(5):
            time.sleep(0.25)
            rss_after = max(rss_after, server.rss_bytes())
        proc.stdin.close()  # ends the hold
        proc.wait(timeout=30)
        tail = proc.stdout.read()
        if proc.returncode != 0:
            return result, f"idle hold failed: {tail.strip()}", 0.0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    conns = result["conns"]
    result["rss_before"] = rss_before
    result["rss_after"] = rss_after
    result["rss_per_conn"] = (rss_after - rss_before) / conns
    return result, "", 0.0


def scaled_args(args, quick):
    if not quick:
        return list(args)
    out = list(args)
    for i, a in enumerate(out[:-1]):
        if a in COUNT_FLAGS:
            out[i + 1] = str(max(1, int(out[i + 1]) // QUICK_DIVISOR))
    return out


def fmt_value(value, unit):
    if value is None:
        return "FAIL"
    if unit == "msgs/s":
        if value >= 1e6:
            return f"{value / 1e6:.2f}M msgs/s"
        return f"{value / 1e3:.0f}k msgs/s"
    if unit == "us":
        return f"{value:.1f} us"
    if unit == "bytes":
        return f"{value:,.0f} B"
    return f"{value:.3g} {unit}"


def median_or_none(values):
    good = [v for v in values if v is not None]
    return statistics.median(good) if good else None


def find_default(patterns):
    found = []
    for pattern in patterns:
        found.extend(p for p in REPO.glob(pattern) if p.is_file() and os.access(p, os.X_OK))
    if not found:
        return None
    return str(max(found, key=lambda p: p.stat().st_mtime))


def version_of(path):
    try:
        out = subprocess.run([path, "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             timeout=5, stdin=subprocess.DEVNULL)
        return out.stdout.strip().splitlines()[0] if out.stdout.strip() else "?"
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tern", help="server A binary (default: newest build*/apps/tern-server)")
    parser.add_argument("--nats", help="server B binary (default: nats-server on PATH)")
    # tern-server opens WebSocket (8080) and MQTT (1883, 8083) listeners by
    # default; the load is all on the client port, so keep runs off ports
    # others may be using.
    parser.add_argument("--tern-args", default="--websocket.port 0 --mqtt.port 0 --mqtt.websocket.port 0",
                        help="extra arguments for server A (one shell-quoted string)")
    parser.add_argument("--nats-args", default="", help="extra arguments for server B")
    parser.add_argument("--loadgen", help="tern-loadgen binary (default: newest build*/bench/load/tern-loadgen)")
    parser.add_argument("--rounds", type=int, help="A/B rounds (default 3, --quick: 1)")
    parser.add_argument("--only", help="comma-separated scenarios: " + ",".join(SCENARIOS))
    parser.add_argument("--quick", action="store_true", help=f"message counts / {QUICK_DIVISOR}, 1 round (~1 min)")
    parser.add_argument("--json", help="also write every raw result to this file")
    parser.add_argument("--names", default="tern,nats", help="column names for A,B (default tern,nats)")
    opts = parser.parse_args()

    tern = opts.tern or find_default(["build*/apps/tern-server", "build*/apps/tern-server/tern-server"])
    nats = opts.nats or shutil.which("nats-server") or "/usr/bin/nats-server"
    loadgen = opts.loadgen or find_default(["build*/bench/load/tern-loadgen"])
    # A bare name is looked up on PATH (nats-server is /usr/sbin/nats-server on Debian).
    tern, nats = [shutil.which(p) or p if p and "/" not in p else p for p in (tern, nats)]
    for what, path in (("--tern", tern), ("--nats", nats), ("--loadgen", loadgen)):
        if not path or not os.access(path, os.X_OK):
            parser.error(f"{what}: no executable found ({path})")
    rounds = opts.rounds or (1 if opts.quick else 3)
    names = opts.names.split(",")
    if len(names) != 2:
        parser.error("--names needs two names")
    selected = list(SCENARIOS) if not opts.only else [s.strip() for s in opts.only.split(",") if s.strip()]
    for s in selected:
        if s not in SCENARIOS:
            parser.error(f"unknown scenario {s!r}; known: {', '.join(SCENARIOS)}")

    soft, _ = raise_fd_limit()
    if "idle10k" in selected and soft < 10000 + 64:
        print(f"warning: file limit {soft} is too low for 10,000 connections", file=sys.stderr)
    servers = [(names[0], tern, shlex.split(opts.tern_args)), (names[1], nats, shlex.split(opts.nats_args))]
    command = " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv])

    # values[scenario][key][server index] -> list over rounds
    values = {s: {m[0]: ([], []) for m in SCENARIOS[s][2]} for s in selected}
    extras = {s: ([], []) for s in selected}  # (loadgen cpu %, server cpu %) per run
    raw = []
    failures = []
    log_dir = tempfile.mkdtemp(prefix="tern-compare-")
    started = time.monotonic()
    for rnd in range(1, rounds + 1):
        for scen in selected:
            title, args, metrics = SCENARIOS[scen]
            args = scaled_args(args, opts.quick)
            for idx, (name, path, extra) in enumerate(servers):
                server = Server(path, extra, log_dir, f"{scen}-r{rnd}-{name}")
                t0 = time.monotonic()
                try:
                    server.start()
                    if scen == "idle10k":
                        result, err, server_cpu = run_idle(loadgen, server, args)
                    else:
                        result, err, server_cpu = run_loadgen(loadgen, server, args)
                    if server.proc.poll() is not None:
                        err = err or f"server exited with {server.proc.returncode}: {server.log_tail()}"
                except (RuntimeError, OSError) as e:
                    result, err, server_cpu = None, str(e), 0.0
                finally:
                    server.stop()
                wall = time.monotonic() - t0
                ok = not err
                for key, _, _, _ in metrics:
                    values[scen][key][idx].append(result.get(key) if ok and result else None)
                if ok and result:
                    extras[scen][idx].append((result.get("loadgen_cpu_pct"), server_cpu))
                shown = ", ".join(f"{k}={fmt_value(result.get(k), u)}" for k, _, u, _ in metrics) if ok else err
                print(f"round {rnd}/{rounds} {scen:10s} {name:6s} {shown}  [{wall:.1f}s]", file=sys.stderr, flush=True)
                if not ok:
                    failures.append(f"round {rnd} {scen} {name}: {err}")
                raw.append({"round": rnd, "scenario": scen, "server": name, "ok": ok, "error": err,
                            "result": result, "server_cpu_pct": server_cpu, "wall_s": wall})
    elapsed = time.monotonic() - started

    a, b = names
    print(f"\n## {a} vs {b}: median of {rounds} round(s){' (--quick)' if opts.quick else ''}\n")
    print(f"| scenario | {a} median | {b} median | ratio {a}/{b} | better |")
    print("|---|---:|---:|---:|---|")
    for scen in selected:
        for key, row, unit, better in SCENARIOS[scen][2]:
            ma = median_or_none(values[scen][key][0])
            mb = median_or_none(values[scen][key][1])
            ratio = f"{ma / mb:.2f}" if ma is not None and mb else "-"
            nfail = [sum(v is None for v in values[scen][key][i]) for i in (0, 1)]
            note = f" ({nfail[0]}/{nfail[1]} failed runs)" if any(nfail) else ""
            print(f"| {row}{note} | {fmt_value(ma, unit)} | {fmt_value(mb, unit)} | {ratio} | {better} |")

    print("\nPer-round values, and median CPU (% of one core; loadgen over its measured interval, server over the whole loadgen run):\n")
    for scen in selected:
        for key, row, unit, _ in SCENARIOS[scen][2]:
            cells = []
            for i in (0, 1):
                cells.append(f"{names[i]} " + " / ".join(fmt_value(v, unit) for v in values[scen][key][i]))
            print(f"- {scen} {key}: " + "; ".join(cells))
        for i in (0, 1):
            cpus = extras[scen][i]
            if cpus and scen != "idle10k":
                lg = statistics.median([c[0] for c in cpus if c[0] is not None] or [0])
                sv = [c[1] for c in cpus if c[1] is not None]
                print(f"  - {names[i]}: loadgen cpu {lg:.0f}%, server cpu "
                      f"{statistics.median(sv):.0f}%" if sv else f"  - {names[i]}: loadgen cpu {lg:.0f}%")
    if failures:
        print("\nFailures:\n" + "\n".join(f"- {f}" for f in failures))
    print(f"\nA = {tern} ({version_of(tern)}); B = {nats} ({version_of(nats)}); "
          f"loadgen = {loadgen}; {os.cpu_count()} CPUs; took {elapsed:.0f} s; server logs in {log_dir}")
    print(f"\nCommand: `{command}`")
    if opts.json:
        Path(opts.json).write_text(json.dumps({"command": command, "elapsed_s": elapsed, "runs": raw}, indent=1))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
