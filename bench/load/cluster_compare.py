#!/usr/bin/env python3
"""Compare a 3-node tern cluster with a 3-node nats-server cluster.

Two parts, each alternating A B A B ... on fresh clusters per round:

  throughput   tern-loadgen with the publisher (or requester) on node 1 and
               the subscribers, queue members or responder on nodes 2 and 3:
               cross-node pub/sub 128 B, fan-out 1:10 over nodes 2+3, queue
               1 -> 4 members on nodes 2+3, request/reply with the responder
               on node 2; plus pub/sub 128 B on one node, for the
               cross-node / single-node ratio.
  convergence  a subscriber on node 2 subscribes to a fresh subject while a
               publisher on node 1 publishes to it every ~0.1 ms: time from
               SUB to the first message (interest convergence); and rounds of
               SUB + PING -> PONG -> one PUB on node 1 at once, counting the
               rounds whose message is lost. tern runs them with and without
               the interest barrier (CONNECT interest_barrier).

Standard library only; reuses compare.py's server handling. Example:
  python3 bench/load/cluster_compare.py --rounds 1
"""

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare  # noqa: E402  (same directory)

LOADGEN_TIMEOUT_S = 90
SETTLE = ["--settle", "0.5"]

# name -> (title, loadgen args, key, unit, better, where): where = "cluster" or "single".
SCENARIOS = {
    "x_pubsub128": ("cross-node pub/sub 1:1 128 B (pub n1, sub n2)",
                    ["pubsub", "--msgs", "3000000", "--size", "128", "--subs", "1"], "delivered_per_sec", "msgs/s",
                    "higher", "n2"),
    "x_fanout10": ("cross-node fan-out 1:10 128 B (subs on n2+n3)",
                   ["pubsub", "--msgs", "600000", "--size", "128", "--subs", "10"], "delivered_per_sec", "msgs/s",
                   "higher", "n2,n3"),
    "x_queue4": ("cross-node queue 1 -> 4 members 128 B (members on n2+n3)",
                 ["queue", "--msgs", "2000000", "--size", "128", "--members", "4"], "delivered_per_sec", "msgs/s",
                 "higher", "n2,n3"),
    "x_reqrep_p50": ("cross-node request/reply 128 B p50 (responder on n2)",
                     ["reqrep", "--msgs", "20000", "--size", "128", "--warmup", "2000"], "p50_us", "us", "lower", "n2"),
    "single_pubsub128": ("single-node pub/sub 1:1 128 B (same cluster, pub and sub on n1)",
                         ["pubsub", "--msgs", "3000000", "--size", "128", "--subs", "1"], "delivered_per_sec",
                         "msgs/s", "higher", "n1"),
}


# Further figures the same run of a scenario reports: name -> (of scenario, title, key, unit, better).
ALSO = {
    "x_reqrep_p99": ("x_reqrep_p50", "cross-node request/reply 128 B p99 (responder on n2)", "p99_us", "us", "lower"),
}


class Cluster:
    """N nodes on loopback, every node seeded with all route URLs."""

    def __init__(self, path, extra_args, log_dir, tag, nodes=3):
        self.route_ports = [compare.free_port() for _ in range(nodes)]
        seeds = ",".join(f"nats://127.0.0.1:{p}" for p in self.route_ports)
        self.nodes = []
        for i in range(nodes):
            args = ["-n", f"n{i + 1}", "--cluster", f"nats://127.0.0.1:{self.route_ports[i]}", "--cluster_name",
                    "bench", "--routes", seeds] + extra_args
            self.nodes.append(compare.Server(path, args, log_dir, f"{tag}-n{i + 1}"))

    def start(self):
        for n in self.nodes:
            n.start()
        self.wait_meshed()

    def stop(self):
        for n in self.nodes:
            n.stop()

    @property
    def port(self):
        return self.nodes[0].port

    def loadgen_args(self):
        """Where tern-loadgen's publisher and requester go: node 1, plain TCP."""
        return ["--port", str(self.port)]

    def cpu_seconds(self):
        return sum(n.cpu_seconds() for n in self.nodes)

    def wait_meshed(self, timeout=15.0):
        """Until a subscription on each node is reached from each other node."""
        deadline = time.monotonic() + timeout
        for i, target in enumerate(self.nodes):
            sub = Raw(target.port)
            subject = f"_mesh.{i}"
            sub.send(f"SUB {subject} 1\r\nPING\r\n")
            sub.expect(b"PONG")
            for j, source in enumerate(self.nodes):
                if j == i:
                    continue
                pub = Raw(source.port)
                while True:
                    if time.monotonic() > deadline:
                        raise RuntimeError("cluster did not mesh")
                    pub.send(f"PUB {subject} 1\r\nx\r\n")
                    if sub.wait_for(b"MSG ", 0.05):
                        break
                pub.close()
            sub.close()


class Raw:
    def __init__(self, port, connect='{"verbose":false,"pedantic":false}'):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.expect(b"INFO")
        self.send(f"CONNECT {connect}\r\nPING\r\n")
        self.expect(b"PONG")
        self.buf = b""

    def send(self, text):
        self.s.sendall(text.encode() if isinstance(text, str) else text)

    def wait_for(self, token, timeout):
        """True once `token` arrived (consumes through it), False on timeout."""
        deadline = time.monotonic() + timeout
        while token not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.s.settimeout(left)
            try:
                data = self.s.recv(65536)
            except socket.timeout:
                return False
            if not data:
                raise RuntimeError("connection closed")
            self.buf += data
        self.buf = self.buf[self.buf.index(token) + len(token):]
        return True

    def expect(self, token, timeout=5.0):
        if not self.wait_for(token, timeout):
            raise RuntimeError(f"expected {token!r}")

    def close(self):
        self.s.close()


def convergence(cluster, rounds, barrier):
    """Interest convergence times (ms) and lost rounds after SUB + PONG."""
    connect = '{"verbose":false,"pedantic":false' + (',"interest_barrier":true' if barrier else "") + "}"
    sub = Raw(cluster.nodes[1].port, connect)
    pub = Raw(cluster.nodes[0].port)
    times = []
    for r in range(rounds):
        subject = f"conv.{r}"
        t0 = time.perf_counter()
        sub.send(f"SUB {subject} {r + 1}\r\n")
        got = False
        while not got and time.perf_counter() - t0 < 2.0:
            pub.send(f"PUB {subject} 1\r\nx\r\n")
            got = sub.wait_for(f"MSG {subject} ".encode(), 0.0001)
        if got:
            times.append((time.perf_counter() - t0) * 1000)
        sub.send(f"UNSUB {r + 1}\r\nPING\r\n")
        sub.expect(b"PONG")
        time.sleep(0.005)
        sub.buf = b""
    lost = 0
    for r in range(rounds):
        subject = f"loss.{r}"
        sub.send(f"SUB {subject} {100000 + r}\r\nPING\r\n")
        sub.expect(b"PONG")
        pub.send(f"PUB {subject} 1\r\ny\r\n")
        if not sub.wait_for(f"MSG {subject} ".encode(), 0.25):
            lost += 1
        sub.send(f"UNSUB {100000 + r}\r\n")
    sub.close()
    pub.close()
    return times, lost


def pct(values, q):
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tern", help="tern-server (default: newest build*/apps/tern-server)")
    parser.add_argument("--nats", help="nats-server (default: on PATH)")
    parser.add_argument("--loadgen", help="tern-loadgen (default: newest build*/bench/load/tern-loadgen)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--only", help="throughput,convergence or scenario names, comma separated")
    parser.add_argument("--conv-rounds", type=int, default=200)
    parser.add_argument("--json", help="also write raw results here")
    args = parser.parse_args()
    tern = args.tern or compare.find_default(["build*/apps/tern-server"])
    nats = args.nats or compare.shutil.which("nats-server") or "/usr/sbin/nats-server"
    loadgen = args.loadgen or compare.find_default(["build*/bench/load/tern-loadgen"])
    only = set(args.only.split(",")) if args.only else None
    compare.raise_fd_limit()
    log_dir = tempfile.mkdtemp(prefix="tern-cluster-bench-")
    servers = [("tern", tern, ["--websocket.port", "0", "--mqtt.port", "0", "--mqtt.websocket.port", "0"]), ("nats", nats, [])]
    raw = {"throughput": {}, "convergence": {}}
    failed = 0

    want_throughput = [k for k in SCENARIOS if only is None or k in only or "throughput" in only]
    for name in want_throughput:
        title, la, key, unit, better, where = SCENARIOS[name]
        for rnd in range(args.rounds):
            for tag, path, extra in servers:
                c = Cluster(path, extra, log_dir, f"{name}-{tag}-{rnd}")
                try:
                    c.start()
                    ports = ",".join(str(c.nodes[int(n[1]) - 1].port) for n in where.split(","))
                    run = la + ["--sub-ports", ports] + (SETTLE if where != "n1" else [])
                    result, err, cpu = compare.run_loadgen(loadgen, c, run)
                    value = result.get(key) if result and not err else None
                    if err:
                        failed += 1
                        print(f"# {name} {tag}: {err}", file=sys.stderr)
                    raw["throughput"].setdefault(name, {}).setdefault(tag, []).append(value)
                    for also, (of, _, also_key, _, _) in ALSO.items():
                        if of == name:
                            also_value = result.get(also_key) if result and not err else None
                            raw["throughput"].setdefault(also, {}).setdefault(tag, []).append(also_value)
                    print(f"# {name} round {rnd + 1} {tag}: {compare.fmt_value(value, unit)} (cluster cpu {cpu:.0f}%)",
                          flush=True)
                finally:
                    c.stop()

    if only is None or "convergence" in only:
        for tag, path, extra in servers:
            for barrier in ([False, True] if tag == "tern" else [False]):
                c = Cluster(path, extra, log_dir, f"conv-{tag}-{barrier}")
                try:
                    c.start()
                    times, lost = convergence(c, args.conv_rounds, barrier)
                    label = f"{tag}{' + barrier' if barrier else ''}"
                    raw["convergence"][label] = {"times_ms": times, "lost": lost, "rounds": args.conv_rounds}
                    print(f"# convergence {label}: p50 {pct(times, 0.5):.3f} ms p99 {pct(times, 0.99):.3f} ms, "
                          f"lost after SUB+PONG in {lost}/{args.conv_rounds} rounds", flush=True)
                finally:
                    c.stop()

    print()
    print(f"tern: {compare.version_of(tern)}; nats-server: {compare.version_of(nats)}; "
          f"{args.rounds} alternating round(s), 3 nodes each on one 2-core machine")
    print()
    print("| scenario | tern | nats-server | tern / nats |")
    print("|---|---|---|---|")
    for name, per in raw["throughput"].items():
        if name in ALSO:
            _, title, _, unit, better = ALSO[name]
        else:
            title, _, _, unit, better, _ = SCENARIOS[name]
        t = compare.median_or_none(per.get("tern", []))
        n = compare.median_or_none(per.get("nats", []))
        ratio = f"{t / n:.2f}x" if t and n else "-"
        print(f"| {title} | {compare.fmt_value(t, unit)} | {compare.fmt_value(n, unit)} | {ratio} ({better} is better) |")
    tx = compare.median_or_none(raw["throughput"].get("x_pubsub128", {}).get("tern", []))
    ts = compare.median_or_none(raw["throughput"].get("single_pubsub128", {}).get("tern", []))
    if tx and ts:
        print(f"\ntern cross-node / single-node pub/sub 128 B: {tx / ts:.2f}x")
    if raw["convergence"]:
        print()
        print("| interest convergence (SUB on n2, PUB on n1) | p50 | p99 | rounds losing the message after SUB+PONG |")
        print("|---|---|---|---|")
        for label, r in raw["convergence"].items():
            print(f"| {label} | {pct(r['times_ms'], 0.5):.3f} ms | {pct(r['times_ms'], 0.99):.3f} ms | "
                  f"{r['lost']}/{r['rounds']} ({100 * r['lost'] / r['rounds']:.0f}%) |")
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=1))
    print(f"\nlogs: {log_dir}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
