#!/usr/bin/env python3
"""Compare tern-server with nats-server under the same NATS-protocol load.

Runs tern-loadgen against server A (tern) and server B (nats-server) in
alternation, A B A B ..., for several rounds, and prints a Markdown table of
the medians with the ratio A/B and which direction is better. By default each
scenario gets a fresh server process on a free loopback port; --long-lived
runs all scenarios back to back on one server process per round, as a
server that users keep running sees them.

Both servers are started the same way: PATH -a 127.0.0.1 -p PORT, default
settings, the file-descriptor limit raised to the hard limit, and for
--transports other than tcp the equivalent listener (tern flags; a
nats-server configuration file) with a throw-away P-256 certificate made
with openssl for the run.

Standard library (and the openssl command for tls/wss) only. Example:
  python3 bench/load/compare.py --tern build/apps/tern-server --nats /usr/bin/nats-server
  python3 bench/load/compare.py --transports tcp,tls,ws,wss --only pubsub16,reqrep,idle10k
  python3 bench/load/compare.py --long-lived --only fanout10,reqrep --reqrep-msgs 50000 --rounds 5

The cost of authorization: --permissions N gives the servers named by
--permissions-on (a, b or both) a nats-server configuration file in which
every client (no_auth_user) holds N publish and N subscribe allow patterns
and as many deny patterns, the loadgen's subject allowed among them:
  python3 bench/load/compare.py --only pubsub128 --permissions 100 --permissions-on a \
      --tern build-rel/apps/tern-server --nats build-rel/apps/tern-server --names tern-perms,tern
"""

import argparse
import functools
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
from datetime import datetime
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
                ("p99_us", "request/reply 128 B p99", "us", "lower"),
                ("p999_us", "request/reply 128 B p99.9", "us", "lower")]),
    "idle10k": ("10,000 idle connections, 1 SUB each", ["idle", "--conns", "10000", "--hold", "120"],
                [("rss_per_conn", "10,000 idle conns + 1 SUB each: RSS per connection", "bytes", "lower")]),
}
QUICK_DIVISOR = 5
COUNT_FLAGS = ("--msgs", "--warmup")
LOADGEN_TIMEOUT_S = 60
TRANSPORTS = ("tcp", "tls", "ws", "wss")


def permissions_conf(n, path):
    """A nats-server file (both servers read it as it is): an anonymous
    client becomes `bench`, whose N allow patterns per direction include the
    loadgen's subject and whose N deny patterns do not touch it."""
    def quoted(items):
        return ", ".join(f'"{i}"' for i in items)
    allow = ["bench.load"] + [f"svc{i}.*.requests" if i % 2 else f"app{i}.>" for i in range(1, n)]
    deny = [f"bench.load.deny{i}" if i % 2 else f"secret{i}.>" for i in range(n)]
    Path(path).write_text(f"""authorization {{
  users: [
    {{user: bench, password: unused-bench-password, permissions: {{
      publish: {{allow: [{quoted(allow)}], deny: [{quoted(deny)}]}}
      subscribe: {{allow: [{quoted(allow)}], deny: [{quoted(deny)}]}}
    }}}}
  ]
}}
no_auth_user: bench
""")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def make_certs(directory):
    """A throw-away CA and a P-256 server certificate for 127.0.0.1, made fresh
    for each run and never kept: returns (ca, cert, key) paths."""
    d = Path(directory)
    ca, ca_key = d / "ca.pem", d / "ca.key"
    cert, key, csr, ext = d / "server.pem", d / "server.key", d / "server.csr", d / "ext.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                   "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    steps = [
        ["openssl", "req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=tern compare CA"],
        ["openssl", "req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=localhost"],
        ["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
         "-days", "2", "-extfile", ext],
    ]
    for argv in steps:
        subprocess.run([str(a) for a in argv], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return str(ca), str(cert), str(key)


@functools.lru_cache(maxsize=None)
def flavor_of(path):
    """'nats' for a nats-server binary (configured with a file), else 'tern' (flags)."""
    return "nats" if "nats-server" in version_of(path) else "tern"


class Server:
    """One server process on a free loopback port, with the listener
    `transport` needs; stop() always reaps it."""

    def __init__(self, path, extra_args, log_dir, tag, transport="tcp", certs=None):
        self.path = path
        self.extra_args = extra_args
        self.log_dir = Path(log_dir)
        self.log_path = self.log_dir / f"{tag}.log"
        self.tag = tag
        self.transport = transport
        self.certs = certs  # (ca, cert, key) for tls/wss
        self.proc = None
        self.port = None     # the client port (plain, or TLS after INFO)
        self.ws_port = None  # ws/wss only

    def listener_args(self):
        """Flags (tern) or a configuration file (nats-server) for the transport."""
        t = self.transport
        if t in ("ws", "wss"):
            self.ws_port = free_port()
        if flavor_of(self.path) == "tern":
            # tern opens a WebSocket listener on 8080 by default; keep runs off it.
            # MQTT (1883, 8083) is on by default: keep it off ports others use.
            args = ["--websocket.port", str(self.ws_port or 0), "--mqtt.port", "0", "--mqtt.websocket.port", "0"]
            if t == "tls":
                args += ["--tls", "--tlscert", self.certs[1], "--tlskey", self.certs[2]]
            if t in ("ws", "wss"):
                args += ["--websocket.host", "127.0.0.1"]
            if t == "wss":
                args += ["--websocket.tls.cert_file", self.certs[1], "--websocket.tls.key_file", self.certs[2]]
            return args
        conf = []
        if t == "tls":
            conf.append(f'tls {{ cert_file: "{self.certs[1]}", key_file: "{self.certs[2]}" }}')
        if t == "ws":
            conf.append(f"websocket {{ host: 127.0.0.1, port: {self.ws_port}, no_tls: true }}")
        if t == "wss":
            conf.append(f"websocket {{ host: 127.0.0.1, port: {self.ws_port}, "
                        f'tls {{ cert_file: "{self.certs[1]}", key_file: "{self.certs[2]}" }} }}')
        if not conf:
            return []
        path = self.log_dir / f"{self.tag}.conf"
        path.write_text("\n".join(conf) + "\n")
        return ["-c", str(path)]

    def loadgen_args(self):
        """What tern-loadgen needs to reach this server over its transport."""
        port = self.ws_port if self.transport in ("ws", "wss") else self.port
        args = ["--port", str(port), "--transport", self.transport]
        if self.transport in ("tls", "wss"):
            args += ["--ca", self.certs[0]]
        return args

    def start(self, timeout=10.0):
        self.port = free_port()
        argv = [self.path, "-a", "127.0.0.1", "-p", str(self.port)] + self.listener_args() + self.extra_args
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.path} exited with {self.proc.returncode}: {self.log_tail()}")
            if self._probe() and (self.ws_port is None or self._accepts(self.ws_port)):
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.path} did not get ready on port {self.port} within {timeout}s")

    def _probe(self):
        """Ready when a connection gets the INFO line (plain even with TLS, which comes after it)."""
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

    @staticmethod
    def _accepts(port):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return True
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
    argv = [loadgen] + args + server.loadgen_args() + ["--timeout", str(LOADGEN_TIMEOUT_S)]
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
    time.sleep(0.3)  # let the server settle before the baseline
    rss_before = server.rss_bytes()
    argv = [loadgen] + args + server.loadgen_args() + ["--timeout", str(LOADGEN_TIMEOUT_S)]
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


def scenario_args(scen, opts):
    args = scaled_args(SCENARIOS[scen][1], opts.quick)
    if scen == "reqrep" and opts.reqrep_msgs:
        args[args.index("--msgs") + 1] = str(opts.reqrep_msgs)
    return args


def run_scenario(loadgen, server, scen, opts):
    args = scenario_args(scen, opts)
    if scen == "idle10k":
        return run_idle(loadgen, server, args)
    return run_loadgen(loadgen, server, args)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tern", help="server A binary (default: newest build*/apps/tern-server)")
    parser.add_argument("--nats", help="server B binary (default: nats-server on PATH)")
    parser.add_argument("--tern-args", default="", help="extra arguments for server A (one shell-quoted string)")
    parser.add_argument("--nats-args", default="", help="extra arguments for server B")
    parser.add_argument("--loadgen", help="tern-loadgen binary (default: newest build*/bench/load/tern-loadgen)")
    parser.add_argument("--rounds", type=int, help="A/B rounds (default 3, --quick: 1)")
    parser.add_argument("--only", help="comma-separated scenarios, run in this order: " + ",".join(SCENARIOS))
    parser.add_argument("--transports", default="tcp",
                        help="comma-separated: " + ",".join(TRANSPORTS) + " (default tcp); every scenario runs on each")
    parser.add_argument("--long-lived", action="store_true",
                        help="one server process per round (and transport) runs all scenarios back to back")
    parser.add_argument("--reqrep-msgs", type=int, help="round trips measured in reqrep (default 30000)")
    parser.add_argument("--quick", action="store_true", help=f"message counts / {QUICK_DIVISOR}, 1 round (~1 min)")
    parser.add_argument("--json", help="also write every raw result to this file")
    parser.add_argument("--names", default="tern,nats", help="column names for A,B (default tern,nats)")
    parser.add_argument("--permissions", type=int, default=0,
                        help="N allow + N deny patterns per direction for every client (see above)")
    parser.add_argument("--permissions-on", choices=["a", "b", "both"], default="both",
                        help="which servers get --permissions (default both)")
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
    transports = [t.strip() for t in opts.transports.split(",") if t.strip()]
    for t in transports:
        if t not in TRANSPORTS:
            parser.error(f"unknown transport {t!r}; known: {', '.join(TRANSPORTS)}")

    soft, _ = raise_fd_limit()
    if "idle10k" in selected and soft < 10000 + 64:
        print(f"warning: file limit {soft} is too low for 10,000 connections", file=sys.stderr)
    servers = [(names[0], tern, shlex.split(opts.tern_args)), (names[1], nats, shlex.split(opts.nats_args))]
    command = " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv])
    log_dir = tempfile.mkdtemp(prefix="tern-compare-")
    certs = make_certs(log_dir) if any(t in ("tls", "wss") for t in transports) else None
    if opts.permissions > 0:
        conf = os.path.join(log_dir, "permissions.conf")
        permissions_conf(opts.permissions, conf)
        for i in {"a": [0], "b": [1], "both": [0, 1]}[opts.permissions_on]:
            servers[i][2].extend(["-c", conf])  # tcp only: tls/ws give nats-server a -c of their own

    rows = [(scen, t) for scen in selected for t in transports]
    # values[(scenario, transport)][key][server index] -> list over rounds
    values = {r: {m[0]: ([], []) for m in SCENARIOS[r[0]][2]} for r in rows}
    extras = {r: ([], []) for r in rows}  # (loadgen cpu %, server cpu %) per run
    raw = []
    failures = []
    started_at = datetime.now().astimezone()
    started = time.monotonic()

    def record(rnd, scen, transport, idx, name, result, err, server_cpu, wall, rss_after=None):
        metrics = SCENARIOS[scen][2]
        ok = not err
        for key, _, _, _ in metrics:
            values[(scen, transport)][key][idx].append(result.get(key) if ok and result else None)
        if ok and result:
            extras[(scen, transport)][idx].append((result.get("loadgen_cpu_pct"), server_cpu))
        shown = ", ".join(f"{k}={fmt_value(result.get(k), u)}" for k, _, u, _ in metrics) if ok else err
        rss = f" rss={rss_after / 1e6:.1f}MB" if rss_after else ""
        print(f"round {rnd}/{rounds} {scen:10s} {transport:4s} {name:6s} {shown}{rss}  [{wall:.1f}s]",
              file=sys.stderr, flush=True)
        if not ok:
            failures.append(f"round {rnd} {scen} {transport} {name}: {err}")
        raw.append({"round": rnd, "scenario": scen, "transport": transport, "server": name, "ok": ok,
                    "error": err, "result": result, "server_cpu_pct": server_cpu, "wall_s": wall,
                    "server_rss_after": rss_after})

    for rnd in range(1, rounds + 1):
        if opts.long_lived:
            # One process per server, transport and round; the scenarios follow
            # one another on it with no pause, A's whole sequence, then B's.
            for transport in transports:
                for idx, (name, path, extra) in enumerate(servers):
                    server = Server(path, extra, log_dir, f"long-r{rnd}-{transport}-{name}", transport, certs)
                    try:
                        server.start()
                    except (RuntimeError, OSError) as e:
                        for scen in selected:
                            record(rnd, scen, transport, idx, name, None, str(e), 0.0, 0.0)
                        server.stop()
                        continue
                    try:
                        for scen in selected:
                            t0 = time.monotonic()
                            if server.proc.poll() is not None:
                                record(rnd, scen, transport, idx, name, None,
                                       f"server exited with {server.proc.returncode}: {server.log_tail()}", 0.0, 0.0)
                                continue
                            try:
                                result, err, server_cpu = run_scenario(loadgen, server, scen, opts)
                                rss = server.rss_bytes() if server.proc.poll() is None else None
                            except (RuntimeError, OSError) as e:
                                result, err, server_cpu, rss = None, str(e), 0.0, None
                            if server.proc.poll() is not None:
                                err = err or f"server exited with {server.proc.returncode}: {server.log_tail()}"
                            record(rnd, scen, transport, idx, name, result, err, server_cpu,
                                   time.monotonic() - t0, rss)
                    finally:
                        server.stop()
            continue
        for scen in selected:
            for transport in transports:
                for idx, (name, path, extra) in enumerate(servers):
                    server = Server(path, extra, log_dir, f"{scen}-r{rnd}-{transport}-{name}", transport, certs)
                    t0 = time.monotonic()
                    try:
                        server.start()
                        result, err, server_cpu = run_scenario(loadgen, server, scen, opts)
                        if server.proc.poll() is not None:
                            err = err or f"server exited with {server.proc.returncode}: {server.log_tail()}"
                    except (RuntimeError, OSError) as e:
                        result, err, server_cpu = None, str(e), 0.0
                    finally:
                        server.stop()
                    record(rnd, scen, transport, idx, name, result, err, server_cpu, time.monotonic() - t0)
    elapsed = time.monotonic() - started

    a, b = names
    mode = "long-lived: one server process per round runs the scenarios in order" if opts.long_lived \
        else "a fresh server process per scenario and round"
    print(f"\n## {a} vs {b}: median of {rounds} round(s){' (--quick)' if opts.quick else ''}, {mode}")
    print(f"\nStarted {started_at:%Y-%m-%d %H:%M %Z}; took {elapsed:.0f} s.\n")
    print(f"| scenario | transport | {a} median | {b} median | ratio {a}/{b} | better |")
    print("|---|---|---:|---:|---:|---|")
    for scen, transport in rows:
        for key, row, unit, better in SCENARIOS[scen][2]:
            va, vb = values[(scen, transport)][key]
            ma, mb = median_or_none(va), median_or_none(vb)
            ratio = f"{ma / mb:.2f}" if ma is not None and mb else "-"
            nfail = [sum(v is None for v in vs) for vs in (va, vb)]
            note = f" ({nfail[0]}/{nfail[1]} failed runs)" if any(nfail) else ""
            print(f"| {row}{note} | {transport} | {fmt_value(ma, unit)} | {fmt_value(mb, unit)} | {ratio} | {better} |")

    print("\nPer-round values (A/B ratio of each round in brackets), and median CPU (% of one core; loadgen over "
          "its measured interval, server over the whole loadgen run):\n")
    for scen, transport in rows:
        for key, row, unit, _ in SCENARIOS[scen][2]:
            va, vb = values[(scen, transport)][key]
            cells = [f"{names[i]} " + " / ".join(fmt_value(v, unit) for v in vs) for i, vs in enumerate((va, vb))]
            ratios = " / ".join(f"{x / y:.2f}" if x is not None and y else "-" for x, y in zip(va, vb))
            print(f"- {scen} {transport} {key}: " + "; ".join(cells) + f" [{ratios}]")
        for i in (0, 1):
            cpus = extras[(scen, transport)][i]
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
        Path(opts.json).write_text(json.dumps({"command": command, "started": started_at.isoformat(),
                                               "elapsed_s": elapsed, "long_lived": opts.long_lived,
                                               "transports": transports, "runs": raw}, indent=1))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
