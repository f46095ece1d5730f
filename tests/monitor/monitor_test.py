#!/usr/bin/env python3
"""Black-box tests of tern-server's HTTP monitoring listener (-m).

    monitor_test.py --server PATH [--nats-server PATH] [unittest args]

Starts tern-server with -m on free loopback ports, drives it with raw NATS
clients and reads /varz, /connz, /subsz, /routez, /healthz, /lingerz,
/eventz, /trafficz and /metrics. For every document nats-server also
serves, the same scenario runs against nats-server -m (when it is
installed) and every field nats-server writes must be in tern's answer with
the same JSON type, and the counters the scenario fixes must be equal.
Hostile HTTP (slowloris, a 1 MiB head, bad methods, many idle sockets)
must not slow the message path. Every process and wait is bounded.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

TERN = None
NATS = None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port, proc, bound=10.0):
    """Ready once /healthz answers (over TLS too). The client port is not
    probed: a probe would be a connection in every count the tests check."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline and proc.poll() is None:
        for scheme in ("http", "https"):
            try:
                with urllib.request.urlopen(f"{scheme}://127.0.0.1:{port}/healthz", timeout=1,
                                            context=context if scheme == "https" else None):
                    return True
            except (OSError, ssl.SSLError):
                pass
        time.sleep(0.05)
    return False


def dial(port, bound=5.0):
    """nats-server opens its monitoring port before its client port."""
    deadline = time.monotonic() + bound
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=10)
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class Server:
    """tern-server or nats-server with a client and a monitoring port."""

    def __init__(self, binary, args=(), flavor="tern"):
        self.binary, self.args, self.flavor = binary, list(args), flavor
        self.workdir = tempfile.mkdtemp(prefix="tern-monitor-test-")
        self.log = os.path.join(self.workdir, "server.log")

    def __enter__(self):
        for _ in range(3):
            self.port, self.http_port = free_port(), free_port()
            argv = [self.binary, "-a", "127.0.0.1", "-p", str(self.port), "-m", str(self.http_port)] + self.args
            if self.flavor == "tern":
                argv += ["--websocket.port", "0", "--mqtt.websocket.port", "0"]
                if "--mqtt.port" not in self.args:
                    argv += ["--mqtt.port", "0"]
            with open(self.log, "wb") as log:
                self.proc = subprocess.Popen(argv, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT)
            if wait_http(self.http_port, self.proc):
                return self
            self.stop()
        raise RuntimeError("server did not start: " + open(self.log).read()[-2000:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def url(self, path, scheme="http"):
        return f"{scheme}://127.0.0.1:{self.http_port}{path}"

    def get(self, path, expect=200, context=None, scheme="http", method="GET", data=None, headers=None):
        request = urllib.request.Request(self.url(path, scheme), method=method, data=data, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10, context=context) as r:
                status, body, ctype = r.status, r.read().decode(), r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            status, body, ctype = e.code, e.read().decode(), e.headers.get("Content-Type", "")
        if status != expect:
            raise AssertionError(f"{path}: status {status}, want {expect}: {body[:500]}")
        return json.loads(body) if ctype.startswith("application/json") else body


class Client:
    """A raw NATS client: send protocol lines, wait for what comes back."""

    def __init__(self, port, name=None, lang="python", version="1.0", headers=False):
        self.sock = dial(port)
        self.buf = b""
        self.expect(b"INFO ")
        connect = {"verbose": False, "pedantic": False, "lang": lang, "version": version, "protocol": 1,
                   "headers": headers}
        if name:
            connect["name"] = name
        self.send(f"CONNECT {json.dumps(connect)}\r\nPING\r\n")
        self.expect(b"PONG\r\n")

    def send(self, text):
        self.sock.sendall(text.encode() if isinstance(text, str) else text)

    def expect(self, what, bound=10.0):
        deadline = time.monotonic() + bound
        while what not in self.buf:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError(f"closed while waiting for {what!r}; got {self.buf[-200:]!r}")
            self.buf += chunk
        i = self.buf.index(what) + len(what)
        got, self.buf = self.buf[:i], self.buf[i:]
        return got

    def flush(self):
        self.send("PING\r\n")
        self.expect(b"PONG\r\n")

    def close(self):
        self.sock.close()


def scenario(server):
    """The same traffic for tern and nats-server: c1 subscribes twice and
    gets its own message; c2 subscribes and leaves (a closed connection)."""
    c1 = Client(server.port, name="c1")
    c1.send("SUB foo 1\r\nSUB bar q 2\r\nPUB foo 5\r\nhello\r\n")
    c1.expect(b"hello\r\n")
    c1.flush()
    c2 = Client(server.port, name="c2")
    c2.send("SUB x 9\r\n")
    c2.flush()
    c2.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and server.get("/connz?state=closed")["total"] < 1:
        time.sleep(0.05)
    return c1


def kind(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


# Fields nats-server writes that tern has no counterpart for (Go runtime,
# accounts, the system account), with the reason.
NATS_ONLY = {
    "go", "gomaxprocs",  # Go runtime
    "system_account",    # tern has no accounts
    "account",           # subsz: tern has one account, named as nats-server's global one only in lists
}


def compare_fields(test, where, nats_doc, tern_doc):
    """Every field of nats_doc (recursively in objects, and in the first
    element of lists of objects) is in tern_doc with the same JSON type."""
    for key, value in nats_doc.items():
        if key in NATS_ONLY:
            continue
        test.assertIn(key, tern_doc, f"{where}: tern has no '{key}' (nats-server: {value!r})")
        test.assertEqual(kind(tern_doc[key]), kind(value), f"{where}.{key}: {tern_doc[key]!r} vs nats {value!r}")
        if isinstance(value, dict) and where.endswith("varz") and key in ("cluster", "gateway", "leaf", "mqtt",
                                                                         "jetstream", "websocket", "http_req_stats"):
            continue  # configuration blocks: both empty or differently configured
        if isinstance(value, dict):
            compare_fields(test, f"{where}.{key}", value, tern_doc[key])
        elif isinstance(value, list) and value and isinstance(value[0], dict) and tern_doc[key]:
            compare_fields(test, f"{where}.{key}[0]", value[0], tern_doc[key][0])


class MonitorTest(unittest.TestCase):
    def test_endpoints_match_nats_server_fields_and_counters(self):
        with Server(TERN) as tern:
            c1 = scenario(tern)
            docs = {p: tern.get(p) for p in PATHS}
            c1.close()
        varz, connz = docs["/varz"], docs["/connz?subs=1"]
        self.assertEqual(varz["connections"], 1)
        self.assertEqual(varz["total_connections"], 2)
        self.assertEqual((varz["in_msgs"], varz["out_msgs"], varz["in_bytes"], varz["out_bytes"]), (1, 1, 5, 5))
        self.assertEqual(varz["http_port"], tern.http_port)
        self.assertEqual(connz["num_connections"], 1)
        conn = connz["connections"][0]
        self.assertEqual((conn["name"], conn["lang"], conn["in_msgs"], conn["out_msgs"], conn["subscriptions"]),
                         ("c1", "python", 1, 1, 2))
        self.assertEqual(sorted(conn["subscriptions_list"]), ["bar", "foo"])
        detail = {d["subject"]: d for d in docs["/connz?subs=detail"]["connections"][0]["subscriptions_list_detail"]}
        self.assertEqual(detail["bar"]["qgroup"], "q")
        self.assertEqual(detail["foo"]["msgs"], 1)
        closed = docs["/connz?state=closed&subs=1"]["connections"]
        self.assertEqual([(c["name"], c["subscriptions_list"]) for c in closed], [("c2", ["x"])])
        self.assertTrue(closed[0]["reason"] and closed[0]["stop"])
        subs = [s for s in docs["/subsz?subs=1"]["subscriptions_list"] if not s["subject"].startswith("_TERN.")]
        self.assertEqual(sorted(s["subject"] for s in subs), ["bar", "foo"])
        self.assertEqual([s["subject"] for s in docs["/subsz?subs=1&test=foo"]["subscriptions_list"]], ["foo"])
        self.assertEqual(docs["/routez"]["num_routes"], 0)
        self.assertEqual(docs["/healthz"], {"status": "ok"})

        if not NATS:
            print("nats-server not found: field comparison skipped", file=sys.stderr)
            return
        with Server(NATS, flavor="nats") as nats:
            c1 = scenario(nats)
            reference = {p: nats.get(p) for p in PATHS}
            c1.close()
        for path in PATHS:
            compare_fields(self, path, reference[path], docs[path])
        # Counters the scenario fixes are the same on both.
        for key in ("connections", "total_connections", "in_msgs", "out_msgs", "in_bytes", "out_bytes",
                    "slow_consumers"):
            self.assertEqual(varz[key], reference["/varz"][key], key)
        ref_conn = reference["/connz?subs=1"]["connections"][0]
        for key in ("kind", "type", "ip", "in_msgs", "out_msgs", "in_bytes", "out_bytes", "subscriptions", "name",
                    "lang", "version", "pending_bytes"):
            self.assertEqual(conn[key], ref_conn[key], key)

    def test_bad_options_are_refused_as_by_nats_server(self):
        with Server(TERN) as tern:
            for path, text in [("/connz?sort=bogus", "invalid sorting option: bogus"),
                               ("/connz?sort=stop", "sort by stop only valid on closed connections"),
                               ("/connz?state=bogus", "Error decoding state for bogus"),
                               ("/connz?limit=x", "Error decoding int for 'limit'"),
                               ("/connz?subs=bogus", "Error decoding boolean for 'subs'"),
                               ("/subsz?test=foo.*", "invalid test subject, must be valid publish subject: foo.*"),
                               ("/healthz?js-enabled-only=bogus", "Error decoding boolean for 'js-enabled-only'")]:
                self.assertIn(text, tern.get(path, expect=400), path)
            tern.get("/nope", expect=404)
            self.assertEqual(tern.get("/healthz?js-enabled-only=true"), {"status": "ok"})

    def test_paging_sorting_and_the_bounded_rings(self):
        with Server(TERN, ["--max_closed_clients", "3", "--http.event_log.max_events", "5"]) as tern:
            clients = [Client(tern.port, name=f"n{i}") for i in range(6)]
            for i, c in enumerate(clients):  # client i publishes i messages
                c.send("PUB nobody 1\r\nx\r\n" * i)
                c.flush()
            page = tern.get("/connz?sort=msgs_from&offset=1&limit=2")
            self.assertEqual((page["total"], page["num_connections"], page["offset"], page["limit"]), (6, 2, 1, 2))
            self.assertEqual([c["name"] for c in page["connections"]], ["n4", "n3"])
            cids = [c["cid"] for c in tern.get("/connz")["connections"]]
            self.assertEqual(cids, sorted(cids))
            for c in clients:
                c.close()
            for i in range(10):
                Client(tern.port, name=f"short{i}").close()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and tern.get("/varz")["connections"] > 0:
                time.sleep(0.05)
            closed = tern.get("/connz?state=closed")
            self.assertEqual(closed["total"], 3)
            self.assertEqual(len(tern.get("/connz?state=all")["connections"]), 3)
            events = tern.get("/eventz")
            self.assertEqual(len(events["events"]), 5)
            self.assertGreaterEqual(events["last_seq"], 32)  # 16 connects + 16 disconnects
            self.assertEqual(events["events"][-1]["type"], "disconnect")
            self.assertEqual(tern.get(f"/eventz?since={events['last_seq'] - 1}")["events"][0]["seq"],
                             events["last_seq"])

    def test_metrics_traffic_lingerz_and_event_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            events = os.path.join(tmp, "events.jsonl")
            args = ["--http.event_log.file", events, "--linger", "room.>=3s"]
            with Server(TERN, args) as tern:
                c = Client(tern.port, name="pub")
                c.send("SUB t 1\r\n" + "PUB t 2\r\nhi\r\n" * 100)
                c.flush()
                c.send("PUB room.1 4\r\nheld\r\n")
                c.flush()
                time.sleep(2.2)  # two samples
                metrics = tern.get("/metrics")
                self.assertIn("tern_messages_in_total 101\n", metrics)
                self.assertIn('tern_listener_connections{listener="client"} 1\n', metrics)
                self.assertIn("# TYPE tern_messages_in_total counter\n", metrics)
                self.assertIn("tern_info{version=", metrics)
                self.assertIn("tern_linger_held_total 1\n", metrics)
                self.assertNotIn("tern_routes", metrics)  # no cluster block
                traffic = tern.get("/trafficz?window=10m")
                self.assertEqual(sum(s["in_msgs"] for s in traffic["seconds"]), 101)
                self.assertEqual(sum(m["in_msgs"] for m in traffic["minutes"]), 101)
                self.assertEqual(tern.get("/trafficz?window=bogus", expect=400).split(":")[0], "invalid window")
                lingerz = tern.get("/lingerz")
                self.assertEqual((lingerz["held_now"], lingerz["rules"][0]["subject"]), (1, "room.>"))
                with open(events) as f:
                    lines = [json.loads(line) for line in f]
                self.assertEqual([(e["type"], e.get("name")) for e in lines], [("connect", "pub")])
                c.close()

    def test_https_with_the_shared_tls_code(self):
        with tempfile.TemporaryDirectory() as tmp:
            cert, key = os.path.join(tmp, "c.pem"), os.path.join(tmp, "k.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                            "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
            with Server(TERN, ["--http.tls.cert_file", cert, "--http.tls.key_file", key]) as tern:
                context = ssl.create_default_context(cafile=cert)
                context.check_hostname = False
                varz = tern.get("/varz", context=context, scheme="https")
                self.assertEqual((varz["https_port"], varz["http_port"]), (tern.http_port, 0))

    def test_hostile_http_costs_the_message_path_nothing(self):
        with Server(TERN, ["--http.header_timeout", "1s"]) as tern:
            sub = Client(tern.port)
            sub.send("SUB echo 1\r\n")
            sub.flush()
            pub = Client(tern.port)
            stop = threading.Event()
            results = {}

            def hostile():
                socks = []
                # Many idle sockets and slowloris heads, one byte at a time.
                for _ in range(50):
                    s = socket.create_connection(("127.0.0.1", tern.http_port), timeout=5)
                    s.sendall(b"GET /varz HTTP/1.1\r\nHost: x\r\n")
                    socks.append(s)
                # A 1 MiB head: 431, then closed.
                big = socket.create_connection(("127.0.0.1", tern.http_port), timeout=5)
                try:
                    big.sendall(b"GET /varz HTTP/1.1\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")
                except OSError:
                    pass  # the server may close before it has read it all
                results["big"] = big.recv(100)
                bad = socket.create_connection(("127.0.0.1", tern.http_port), timeout=5)
                bad.sendall(b"DELETE /varz HTTP/1.1\r\nHost: x\r\n\r\n")
                results["bad"] = bad.recv(100)
                garbage = socket.create_connection(("127.0.0.1", tern.http_port), timeout=5)
                garbage.sendall(b"\x16\x03\x01garbage\r\n\r\n")
                results["garbage"] = garbage.recv(100)
                while not stop.is_set():
                    for s in socks:
                        try:
                            s.send(b"X")
                        except OSError:
                            pass
                    time.sleep(0.2)
                # The slowloris sockets were cut off by header_timeout.
                closed = 0
                for s in socks:
                    s.settimeout(2)
                    try:
                        data = s.recv(100)
                        closed += data == b"" or data.startswith(b"HTTP/1.1 408")
                    except OSError:
                        closed += 1
                results["slowloris_closed"] = closed

            attacker = threading.Thread(target=hostile)
            attacker.start()
            worst = 0.0
            deadline = time.monotonic() + 3
            n = 0
            while time.monotonic() < deadline:
                t0 = time.monotonic()
                pub.send("PUB echo 2\r\nok\r\n")
                sub.expect(b"ok\r\n")
                worst = max(worst, time.monotonic() - t0)
                n += 1
            healthz = tern.get("/healthz")  # monitoring still answers good clients
            stop.set()
            attacker.join(30)
            self.assertEqual(healthz, {"status": "ok"})
            self.assertTrue(results["big"].startswith(b"HTTP/1.1 431"), results["big"])
            self.assertTrue(results["bad"].startswith(b"HTTP/1.1 405"), results["bad"])
            self.assertTrue(results["garbage"].startswith(b"HTTP/1.1 400"), results["garbage"])
            self.assertEqual(results["slowloris_closed"], 50)
            self.assertGreater(n, 100)
            # Generous for a shared 2-core machine; a path blocked by HTTP would take seconds.
            self.assertLess(worst, 0.25, f"slowest of {n} round trips: {worst * 1000:.1f} ms")

    def test_lame_duck_on_sigusr2_tells_clients_then_closes_them_and_exits(self):
        args = ["--lame_duck_duration", "2s", "--lame_duck_grace_period", "500ms"]
        with Server(TERN, args) as tern:
            clients = [Client(tern.port, name=f"ld{i}") for i in range(4)]
            t0 = time.monotonic()
            tern.proc.send_signal(signal.SIGUSR2)
            for c in clients:
                info = c.expect(b"\r\n")
                self.assertTrue(info.startswith(b"INFO "), info)
                self.assertTrue(json.loads(info[5:])["ldm"], info)
            self.assertTrue(tern.get("/varz")["lame_duck_mode"])  # monitoring stays up through the drain
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", tern.port), timeout=1).close()
            for c in clients:
                c.sock.settimeout(5)
                self.assertEqual(c.sock.recv(100), b"")  # closed by the server
            self.assertGreaterEqual(time.monotonic() - t0, 0.5)  # not before the grace period
            self.assertEqual(tern.proc.wait(10), 0)
            self.assertLess(time.monotonic() - t0, 6)

    def test_admin_actions_need_the_token_and_the_bridge_publishes(self):
        with Server(TERN) as tern:  # no token: everything POST is refused
            self.assertIn("off", tern.get("/admin/reload", expect=403, method="POST", data=b""))
            tern.get("/varz", expect=405, method="POST", data=b"")
        token = {"Authorization": "Bearer s3cret"}
        with Server(TERN, ["--http.admin_token", "s3cret", "--http.bridge"]) as tern:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
                tern.get("/admin/kick?cid=1", expect=401, method="POST", data=b"", headers=headers)
            sub = Client(tern.port, name="sub", headers=True)
            sub.send("SUB bridge.in 1\r\n")
            sub.flush()
            answer = tern.get("/pub/bridge.in", method="POST", data=b"from curl",
                              headers=dict(token, **{"Nats-Trace": "abc", "X-Other": "no"}))
            self.assertEqual((answer["delivered"], answer["bytes"]), (1, 9))
            got = sub.expect(b"from curl")
            self.assertTrue(got.startswith(b"HMSG bridge.in 1 "), got)
            self.assertIn(b"Nats-Trace: abc\r\n", got)
            self.assertNotIn(b"X-Other", got)
            tern.get("/pub/bad..subject", expect=400, method="POST", data=b"x", headers=token)
            victim = Client(tern.port, name="victim")
            cid = [c["cid"] for c in tern.get("/connz")["connections"] if c.get("name") == "victim"][0]
            self.assertEqual(tern.get(f"/admin/kick?cid={cid}", method="POST", data=b"", headers=token)["cid"], cid)
            victim.sock.settimeout(5)
            while victim.sock.recv(4096):
                pass
            tern.get(f"/admin/kick?cid={cid}", expect=404, method="POST", data=b"", headers=token)
            self.assertEqual(tern.get("/connz?state=closed")["connections"][-1]["reason"], "Kicked")
            self.assertEqual(tern.get("/admin/reload", expect=202, method="POST", data=b"", headers=token)["action"],
                             "reload")
            self.assertEqual(tern.get("/healthz"), {"status": "ok"})  # a reload keeps it running
            admin = [e for e in tern.get("/eventz?type=admin")["events"]]
            self.assertEqual([e["reason"].split(" (")[0] for e in admin], [f"kick cid {cid}", "reload"])
            t0 = time.monotonic()
            tern.get("/admin/shutdown?grace=1s", expect=202, method="POST", data=b"", headers=token)
            self.assertEqual(tern.proc.wait(10), 0)
            self.assertLess(time.monotonic() - t0, 5)

    def test_bridge_request_gets_the_reply_or_503_or_504(self):
        token = {"Authorization": "Bearer s3cret"}
        with Server(TERN, ["--http.admin_token", "s3cret", "--http.bridge"]) as tern:
            svc = Client(tern.port, name="svc", headers=True)
            svc.send("SUB svc.echo 1\r\nSUB svc.silent 2\r\n")
            svc.flush()
            subs_before = tern.get("/subsz")["num_subscriptions"]
            answers = {}

            def ask(key, path, body=b"", expect=200):
                answers[key] = tern.get(path, expect=expect, method="POST", data=body, headers=token)

            # The HTTP request waits for the reply while this thread is the responder.
            asker = threading.Thread(target=ask, args=("echo", "/req/svc.echo?timeout=5s", b"ping"))
            asker.start()
            head = svc.expect(b"\r\n").decode()
            self.assertTrue(head.startswith("MSG svc.echo 1 _INBOX."), head)
            reply = head.split()[3]
            svc.expect(b"ping\r\n")
            hdr = "NATS/1.0\r\nX-Answer: yes\r\n\r\n"
            svc.send(f"HPUB {reply} {len(hdr)} {len(hdr) + 4}\r\n{hdr}pong\r\n")
            asker.join(10)
            self.assertEqual(answers["echo"], "pong")
            # The same again over one kept-alive connection, with the reply's headers.
            conn = socket.create_connection(("127.0.0.1", tern.http_port), timeout=10)
            conn.sendall(b"POST /req/svc.echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n"
                         b"Content-Length: 2\r\n\r\nhi"
                         b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")  # pipelined behind the parked request
            head = svc.expect(b"hi\r\n").decode()
            svc.send(f"HPUB {head.split()[3]} {len(hdr)} {len(hdr) + 2}\r\n{hdr}ho\r\n")
            got = b""
            while b'"status": "ok"' not in got:
                chunk = conn.recv(65536)
                self.assertTrue(chunk, got)
                got += chunk
            conn.close()
            first, second = got.split(b"HTTP/1.1 200 OK", 2)[1:]  # in order: the reply, then /healthz
            self.assertIn(b"X-Nats-Header-X-Answer: yes\r\n", first)
            self.assertTrue(first.endswith(b"\r\n\r\nho"), first)
            self.assertIn(b'"status": "ok"', second)
            # Nobody listens: 503 at once; a listener that never answers: 504 after the timeout.
            self.assertIn("no responders", tern.get("/req/nobody.home", expect=503, method="POST", data=b"",
                                                    headers=token))
            t0 = time.monotonic()
            self.assertIn("no reply within 300ms", tern.get("/req/svc.silent?timeout=300ms", expect=504,
                                                            method="POST", data=b"", headers=token))
            self.assertGreaterEqual(time.monotonic() - t0, 0.3)
            self.assertLess(time.monotonic() - t0, 3)
            svc.expect(b"MSG svc.silent 2 _INBOX.")
            tern.get("/req/svc.echo?timeout=soon", expect=400, method="POST", data=b"", headers=token)
            tern.get("/req/bad..subject", expect=400, method="POST", data=b"", headers=token)
            tern.get("/req/svc.echo", expect=401, method="POST", data=b"")
            # A client that hangs up while its request waits costs nothing; the inbox goes away.
            conn = socket.create_connection(("127.0.0.1", tern.http_port), timeout=10)
            conn.sendall(b"POST /req/svc.silent?timeout=300ms HTTP/1.1\r\nHost: x\r\n"
                         b"Authorization: Bearer s3cret\r\nContent-Length: 0\r\n\r\n")
            svc.expect(b"MSG svc.silent 2 _INBOX.")
            conn.close()
            time.sleep(0.5)
            self.assertEqual(tern.get("/healthz"), {"status": "ok"})
            # The index holds svc's two subscriptions and the server's own services, no inbox.
            self.assertEqual(tern.get("/subsz")["num_subscriptions"], subs_before)
        with Server(TERN, ["--http.admin_token", "s3cret"]) as tern:  # token but no bridge
            self.assertIn("bridge is off", tern.get("/req/svc.echo", expect=403, method="POST", data=b"",
                                                     headers=token))

    def test_pause_and_resume_over_http(self):
        token = {"Authorization": "Bearer s3cret"}
        with Server(TERN, ["--http.admin_token", "s3cret"]) as tern:
            self.assertIn("not in a cluster", tern.get("/admin/pause", expect=409, method="POST", data=b"",
                                                        headers=token))
        route = free_port()
        with Server(TERN, ["--http.admin_token", "s3cret", "--cluster", f"nats://127.0.0.1:{route}",
                           "--cluster_name", "mon"]) as tern:
            tern.get("/admin/pause", expect=401, method="POST", data=b"")
            self.assertEqual(tern.get("/admin/pause", method="POST", data=b"", headers=token),
                             {"action": "pause", "paused": True, "changed": True})
            self.assertFalse(tern.get("/admin/pause", method="POST", data=b"", headers=token)["changed"])
            self.assertEqual(tern.get("/admin/resume", method="POST", data=b"", headers=token),
                             {"action": "resume", "paused": False, "changed": True})
            admin = [e["reason"].split(" (")[0] for e in tern.get("/eventz?type=admin")["events"]]
            self.assertEqual(admin, ["pause", "pause", "resume"])
            metrics = tern.get("/metrics")
            self.assertIn("tern_routes 0\n", metrics)
            self.assertIn("tern_paused 0\n", metrics)

    def test_mqttz_lists_sessions_with_what_they_hold(self):
        mqtt_port = free_port()
        with Server(TERN, ["--mqtt.port", str(mqtt_port)]) as tern:
            away = mqtt_dial(mqtt_port, "away", clean=False)
            away.sendall(mqtt_packet(0x82, b"\x00\x01" + mqtt_str("m/#") + b"\x01"))  # SUBSCRIBE QoS 1
            mqtt_expect(away, 0x90)
            away.sendall(b"\xe0\x00")  # DISCONNECT: the session stays, its QoS 1 messages queue
            away.settimeout(5)
            self.assertEqual(away.recv(10), b"")
            here = mqtt_dial(mqtt_port, "here", clean=True)
            for i in (1, 2):  # QoS 1 PUBLISH, acknowledged by the server
                here.sendall(mqtt_packet(0x32, mqtt_str("m/x") + bytes([0, i]) + b"queued"))
                mqtt_expect(here, 0x40)
            doc = tern.get("/mqttz")
            self.assertEqual((doc["sessions"], doc["connected"], doc["queued"]), (2, 1, 2))
            self.assertEqual(doc["ports"]["mqtt"], mqtt_port)
            listed = {s["client_id"]: s for s in doc["sessions_list"]}
            self.assertEqual(listed["away"]["connected"], False)
            self.assertEqual((listed["away"]["subscriptions"], listed["away"]["queued"]), (1, 2))
            self.assertEqual(listed["here"]["version"], "3.1.1")
            self.assertEqual(listed["here"]["ip"], "127.0.0.1")
            self.assertGreater(listed["here"]["cid"], 0)
            self.assertEqual([s["client_id"] for s in tern.get("/mqttz?client_id=away")["sessions_list"]], ["away"])
            self.assertEqual([s["client_id"] for s in tern.get("/mqttz?offset=1&limit=5")["sessions_list"]], ["here"])
            tern.get("/mqttz?limit=x", expect=400)
            # /connz lists the connected one as nats-server lists MQTT clients.
            conns = [c for c in tern.get("/connz")["connections"] if c["type"] == "mqtt"]
            self.assertEqual([(c["mqtt_client"], c["cid"]) for c in conns], [("here", listed["here"]["cid"])])
            metrics = tern.get("/metrics")
            self.assertIn("tern_mqtt_sessions 2\n", metrics)
            self.assertIn("tern_mqtt_retained_messages 0\n", metrics)
            here.close()
            away.close()


def mqtt_str(text):
    return len(text).to_bytes(2, "big") + text.encode()


def mqtt_packet(first, body):
    length, n = b"", len(body)
    while True:
        byte, n = n % 128, n // 128
        length += bytes([byte | (0x80 if n else 0)])
        if not n:
            return bytes([first]) + length + body


def mqtt_expect(sock, packet_type):
    """Reads one packet (short ones only: acks) and checks its type."""
    sock.settimeout(5)
    head = sock.recv(2)
    if len(head) < 2 or head[0] & 0xF0 != packet_type:
        raise AssertionError(f"wanted packet 0x{packet_type:02x}, got {head!r}")
    body = b""
    while len(body) < head[1]:
        body += sock.recv(head[1] - len(body))
    return body


def mqtt_dial(port, client_id, clean):
    """MQTT 3.1.1 CONNECT with a 60 s keep alive; returns the socket after CONNACK 0."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    flags = 0x02 if clean else 0x00
    sock.sendall(mqtt_packet(0x10, mqtt_str("MQTT") + bytes([4, flags, 0, 60]) + mqtt_str(client_id)))
    if mqtt_expect(sock, 0x20)[1] != 0:
        raise AssertionError("CONNACK refused")
    return sock


PATHS = ["/varz", "/connz?subs=1", "/connz?subs=detail", "/connz?state=closed&subs=1", "/subsz",
         "/subsz?subs=1", "/subsz?subs=1&test=foo", "/routez", "/healthz"]


def main():
    global TERN, NATS
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--nats-server", default="")
    args, rest = parser.parse_known_args()
    TERN = args.server
    if args.nats_server and os.access(args.nats_server, os.X_OK) and os.environ.get("TERN_TEST_AGAINST_NATS") == "1":
        NATS = args.nats_server
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
