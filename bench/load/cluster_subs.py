#!/usr/bin/env python3
"""A large interest table on a 3-node cluster: tern against nats-server.

On node 1 of a fresh 3-node cluster, --conns connections make --subs
subscriptions between them (literal subjects, every --wildcard-every-th
one with a `*` token, every 10 x --wildcard-every-th one ending in `>`).
Then, per server:

  index memory  RSS growth per subscription on node 1 (which owns them)
                and on node 2 (which holds them as route interest), from
                the moment node 2 reports the whole table.
  resync        node 2 is stopped and started again (same route port):
                time from its client port answering until it reports the
                whole table again (tern: _TERN.STATS "subscriptions";
                nats-server: /subsz on its monitoring port).
  delivery      tern-loadgen cross-node pub/sub 128 B (publisher on node
                1, subscriber on node 2) with the table loaded.

Standard library only; reuses compare.py and cluster_compare.py. Example:
  python3 bench/load/cluster_subs.py --subs 1000000 --conns 10000
With --check (the ctest cluster_1m_subscriptions) it exits 1 unless every
step worked: the table reached the peer, came back after the restart, and
cross-node delivery ran with it loaded.
"""

import argparse
import json
import socket
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cluster_compare  # noqa: E402
import compare  # noqa: E402

DELIVERY = ["pubsub", "--msgs", "2000000", "--size", "128", "--subs", "1", "--settle", "0.5"]


def subject(conn, i, wildcard_every):
    if i % (10 * wildcard_every) == 0:
        return f"load.{conn}.{i}.>"
    if i % wildcard_every == 0:
        return f"load.{conn}.*.{i}"
    return f"load.{conn}.{i}"


def load_table(port, conns, subs, wildcard_every):
    """Opens `conns` connections with `subs` subscriptions between them; returns the sockets."""
    socks = []
    per = subs // conns
    for c in range(conns):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        buf = b""
        while b"\r\n" not in buf:
            buf += s.recv(4096)
        lines = ['CONNECT {"verbose":false,"pedantic":false}\r\n']
        lines += [f"SUB {subject(c, i, wildcard_every)} {i + 1}\r\n" for i in range(per)]
        lines.append("PING\r\n")
        s.sendall("".join(lines).encode())
        socks.append(s)
    for s in socks:
        buf = b""
        while b"PONG" not in buf:
            data = s.recv(65536)
            if not data:
                raise RuntimeError("a loading connection was closed")
            buf += data
    return socks


class Counter:
    """How many subscriptions a node's index holds, in each server's own words."""

    def __init__(self, tag, node, http_port):
        self.tag, self.node, self.http_port = tag, node, http_port

    def count(self):
        if self.tag == "nats":
            with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/subsz", timeout=5) as r:
                return json.load(r)["num_subscriptions"]
        raw = cluster_compare.Raw(self.node.port)
        try:
            raw.send("SUB _bench.stats 1\r\nPUB _TERN.STATS _bench.stats 0\r\n\r\n")
            raw.expect(b"MSG _bench.stats 1 ")
            raw.s.settimeout(5)
            while b"\r\n" not in raw.buf:
                raw.buf += raw.s.recv(65536)
            end = raw.buf.index(b"\r\n")
            size = int(raw.buf[:end])
            while len(raw.buf) < end + 2 + size:
                raw.buf += raw.s.recv(65536)
            return json.loads(raw.buf[end + 2:end + 2 + size])["subscriptions"]
        finally:
            raw.close()

    def wait_for(self, at_least, timeout, settle=5.0):
        """True once the count reaches `at_least`; also True when it has not
        moved for `settle` seconds above 99% of it (a server that counts a
        few entries its own way). self.last keeps the count last seen."""
        deadline = time.monotonic() + timeout
        self.last, changed = None, time.monotonic()
        while time.monotonic() < deadline:
            try:
                n = self.count()
            except (OSError, RuntimeError, ValueError):
                n = None  # a node busy taking in a big table answers late; ask again
            if n is not None:
                if n >= at_least:
                    self.last = n
                    return True
                if n != self.last:
                    self.last, changed = n, time.monotonic()
                elif n >= 0.99 * at_least and time.monotonic() - changed >= settle:
                    return True
            time.sleep(0.05)
        return False


def run(tag, path, extra, args, loadgen, log_dir):
    http_ports = [compare.free_port() for _ in range(3)]
    c = cluster_compare.Cluster(path, extra, log_dir, f"subs-{tag}")
    if tag == "nats":
        for node, port in zip(c.nodes, http_ports):
            node.extra_args = node.extra_args + ["-m", str(port)]
    out = {}
    socks = []
    try:
        c.start()
        n1, n2 = c.nodes[0], c.nodes[1]
        counter = Counter(tag, n2, http_ports[1])
        base = counter.count()
        rss1, rss2 = n1.rss_bytes(), n2.rss_bytes()
        t0 = time.perf_counter()
        socks = load_table(n1.port, args.conns, args.subs, args.wildcard_every)
        loaded = time.perf_counter() - t0
        total = (args.subs // args.conns) * args.conns
        if not counter.wait_for(base + total, 120):
            raise RuntimeError(f"node 2 never reported {total} subscriptions (last count {counter.last})")
        propagated = time.perf_counter() - t0
        out["peer_count"] = counter.last - base
        out["subs"] = total
        out["load_s"] = loaded
        out["propagated_s"] = propagated
        out["owner_bytes_per_sub"] = (n1.rss_bytes() - rss1) / total
        out["peer_bytes_per_sub"] = (n2.rss_bytes() - rss2) / total

        n2.stop()
        n2.start()
        t0 = time.perf_counter()
        counter.node = n2
        if not counter.wait_for(base + total, 120):
            raise RuntimeError("node 2 did not get the table back after its restart")
        out["resync_s"] = time.perf_counter() - t0

        ports = f"{n2.port}"
        result, err, _ = compare.run_loadgen(loadgen, c, DELIVERY + ["--sub-ports", ports])
        out["delivery_per_sec"] = result.get("delivered_per_sec") if result and not err else None
        if err:
            print(f"# {tag} delivery: {err}", file=sys.stderr)
    finally:
        for s in socks:
            s.close()
        c.stop()
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tern", help="tern-server (default: newest build*/apps/tern-server)")
    p.add_argument("--nats", help="nats-server (default: on PATH)")
    p.add_argument("--loadgen", help="tern-loadgen (default: newest build*/bench/load/tern-loadgen)")
    p.add_argument("--subs", type=int, default=1_000_000)
    p.add_argument("--conns", type=int, default=10_000)
    p.add_argument("--wildcard-every", type=int, default=10)
    p.add_argument("--only", help="tern or nats")
    p.add_argument("--check", action="store_true", help="exit 1 unless every figure was measured")
    args = p.parse_args()
    tern = args.tern or compare.find_default(["build*/apps/tern-server"])
    nats = args.nats or compare.shutil.which("nats-server") or "/usr/sbin/nats-server"
    loadgen = args.loadgen or compare.find_default(["build*/bench/load/tern-loadgen"])
    compare.raise_fd_limit()
    log_dir = tempfile.mkdtemp(prefix="tern-subs-bench-")
    results = {}
    for tag, path, extra in [("tern", tern, ["--websocket.port", "0"]), ("nats", nats, [])]:
        if args.only and args.only != tag:
            continue
        results[tag] = run(tag, path, extra, args, loadgen, log_dir)
        print(f"# {tag}: {results[tag]}", flush=True)

    print()
    print(f"{args.subs:,} subscriptions over {args.conns:,} connections on node 1 of 3 "
          f"(1 in {args.wildcard_every} with a wildcard); tern {compare.version_of(tern)}, "
          f"nats-server {compare.version_of(nats)}")
    print()
    rows = [("index memory per subscription, owning node", "owner_bytes_per_sub", "{:.0f} B"),
            ("index memory per subscription, a peer", "peer_bytes_per_sub", "{:.0f} B"),
            ("SUBs sent until a peer holds them all", "propagated_s", "{:.2f} s"),
            ("full resync after node 2 restarts", "resync_s", "{:.2f} s"),
            ("cross-node pub/sub 128 B with the table loaded", "delivery_per_sec", "{:,.0f} msgs/s")]
    print("| with the table loaded | tern | nats-server |")
    print("|---|---|---|")
    for title, key, form in rows:
        cells = []
        for tag in ("tern", "nats"):
            v = results.get(tag, {}).get(key)
            cells.append(form.format(v) if v is not None else "-")
        print(f"| {title} | {cells[0]} | {cells[1]} |")
    print(f"\nlogs: {log_dir}")
    if args.check:
        missing = [(tag, key) for tag, r in results.items() for _, key, _ in rows if r.get(key) is None]
        if missing:
            print(f"missing figures: {missing}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
