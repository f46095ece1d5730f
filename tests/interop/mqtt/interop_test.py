#!/usr/bin/python3
"""Third-party MQTT clients against tern-server and, as the reference in the
same run, Debian's mosquitto: mosquitto_pub/mosquitto_sub (3.1.1 and 5.0)
and python3-paho-mqtt (3.1.1 and 5.0; TCP, WebSocket at /mqtt, TLS).

    interop_test.py --tern PATH [--mosquitto PATH]

Every scenario runs against each server; the table shows both. It fails if
a scenario fails against tern (a mosquitto failure is reported, not fatal).
Every process is stopped by its pid and every wait is bounded. Exit 77 (CTest:
skipped) when paho or the mosquitto clients are not installed.
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
try:
    import paho.mqtt.client as paho
    from paho.mqtt.properties import Properties
    from paho.mqtt.packettypes import PacketTypes
except ImportError:
    print("python3-paho-mqtt not installed; skipping")
    sys.exit(SKIP)

if not shutil.which("mosquitto_pub") or not shutil.which("mosquitto_sub"):
    print("mosquitto-clients not installed; skipping")
    sys.exit(SKIP)

WAIT = 5  # seconds; bound on any one wait


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Server:
    """A server with an MQTT port, an MQTT-over-WebSocket port and an MQTT-over-TLS
    port; with `listeners` < 3 the server is only waited for on the first ones."""

    def __init__(self, name, argv_for_ports, workdir, listeners=3):
        self.name, self.argv_for_ports, self.workdir, self.listeners = name, argv_for_ports, workdir, listeners
        self.proc, self.port, self.ws_port, self.tls_port = None, None, None, None

    def start(self):
        for _ in range(5):
            port, ws_port, tls_port = free_port(), free_port(), free_port()
            log = open(os.path.join(self.workdir, self.name + ".log"), "ab")
            self.proc = subprocess.Popen(self.argv_for_ports(port, ws_port, tls_port), stdout=log, stderr=log)
            deadline = time.time() + 10
            while time.time() < deadline and self.proc.poll() is None:
                if all(port_open(p) for p in (port, ws_port, tls_port)[:self.listeners]):
                    self.port, self.ws_port, self.tls_port = port, ws_port, tls_port
                    return
                time.sleep(0.02)
            self.stop()
        raise RuntimeError(self.name + " did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def run(cmd, timeout=WAIT):
    return subprocess.run(cmd, capture_output=True, timeout=timeout)


def sub_then_pub(port, sub_args, pub_args, count=1):
    """mosquitto_sub in the background, mosquitto_pub once it is subscribed."""
    sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-C", str(count), "-W", str(WAIT)]
                           + sub_args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.4)  # mosquitto_sub has no "subscribed" signal
    pub = run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port)] + pub_args)
    try:
        out, err = sub.communicate(timeout=WAIT + 2)
    except subprocess.TimeoutExpired:
        os.kill(sub.pid, signal.SIGKILL)
        out, err = sub.communicate()
    if pub.returncode != 0:
        raise AssertionError("mosquitto_pub failed: %r" % pub.stderr)
    return out.decode(errors="replace").strip().splitlines()


# ---- scenarios: each takes a port and raises on failure ----

def cli_qos(version, qos):
    def scenario(port):
        got = sub_then_pub(port, ["-V", version, "-q", str(qos), "-t", "interop/#", "-v"],
                           ["-V", version, "-q", str(qos), "-t", "interop/a.b/c", "-m", "hello"])
        assert got == ["interop/a.b/c hello"], got
    return scenario


def cli_retained(port):
    r = run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-r", "-q", "1", "-t", "ret/x", "-m", "kept"])
    assert r.returncode == 0, r.stderr
    got = run(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-t", "ret/#", "-C", "1", "-W", str(WAIT), "-v"])
    assert got.stdout.decode().strip() == "ret/x kept", got
    r = run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-r", "-t", "ret/x", "-n"])
    got = run(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-t", "ret/#", "-C", "1", "-W", "1"])
    assert got.stdout.decode().strip() == "", got


def cli_user_properties(port):
    got = sub_then_pub(port, ["-V", "mqttv5", "-t", "props", "-F", "%P|%p"],
                       ["-V", "mqttv5", "-t", "props", "-m", "body", "-D", "publish", "user-property", "k", "v"])
    assert got == ["k:v|body"], got


def paho_client(version, client_id="", clean=True, websocket=False):
    transport = "websockets" if websocket else "tcp"
    if version == 5:
        c = paho.Client(client_id=client_id, protocol=paho.MQTTv5, transport=transport)
    else:
        c = paho.Client(client_id=client_id, clean_session=clean, protocol=paho.MQTTv311, transport=transport)
    if websocket:
        c.ws_set_options(path="/mqtt")
    return c


def paho_connect(c, port, version, clean=True, expiry=None):
    done = threading.Event()
    result = {}

    def on_connect(client, userdata, flags, rc, properties=None):
        result["rc"], result["flags"] = rc, flags
        done.set()
    c.on_connect = on_connect
    if version == 5:
        props = None
        if expiry is not None:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = expiry
        c.connect("127.0.0.1", port, clean_start=clean, properties=props)
    else:
        c.connect("127.0.0.1", port)
    c.loop_start()
    assert done.wait(WAIT), "no CONNACK"
    assert result["rc"] == 0, result
    return result["flags"]


def collect(c, topic, qos, n):
    got, done, subscribed = [], threading.Event(), threading.Event()

    def on_message(client, userdata, msg):
        got.append(msg)
        if len(got) >= n:
            done.set()
    c.on_message = on_message
    c.on_subscribe = lambda *a: subscribed.set()
    c.subscribe(topic, qos)
    assert subscribed.wait(WAIT), "no SUBACK"
    return got, done


def paho_qos2(version):
    def scenario(port):
        sub, pub = paho_client(version, "p-sub"), paho_client(version, "p-pub")
        try:
            paho_connect(sub, port, version)
            paho_connect(pub, port, version)
            got, done = collect(sub, "paho/+", 2, 3)
            for i in range(3):
                pub.publish("paho/%d" % i, b"m%d" % i, qos=2).wait_for_publish(WAIT)
            assert done.wait(WAIT), [m.payload for m in got]
            assert sorted(m.payload for m in got) == [b"m0", b"m1", b"m2"], got
            assert all(m.qos == 2 for m in got)
        finally:
            for c in (sub, pub):
                c.disconnect()
                c.loop_stop()
    return scenario


def paho_persistent(version):
    def scenario(port):
        cid = "persist-%d" % version
        c = paho_client(version, cid, clean=False)
        paho_connect(c, port, version, clean=False, expiry=300)
        got, done = collect(c, "away/#", 1, 1)
        c.disconnect()
        c.loop_stop()
        pub = paho_client(version, "away-pub")
        paho_connect(pub, port, version)
        pub.publish("away/1", b"queued", qos=1).wait_for_publish(WAIT)
        pub.disconnect()
        pub.loop_stop()
        c2 = paho_client(version, cid, clean=False)
        got2, done2 = [], threading.Event()
        c2.on_message = lambda cl, u, m: (got2.append(m), done2.set())
        flags = paho_connect(c2, port, version, clean=False, expiry=300)
        try:
            present = flags.get("session present") if isinstance(flags, dict) else flags.session_present
            assert present, flags
            assert done2.wait(WAIT), "queued message not delivered"
            assert got2[0].payload == b"queued", got2
        finally:
            c2.disconnect()
            c2.loop_stop()
    return scenario


def paho_request_response(port):
    responder, requester = paho_client(5, "responder"), paho_client(5, "requester")
    try:
        paho_connect(responder, port, 5)
        paho_connect(requester, port, 5)

        def answer(client, userdata, msg):
            props = Properties(PacketTypes.PUBLISH)
            props.CorrelationData = msg.properties.CorrelationData
            client.publish(msg.properties.ResponseTopic, b"pong", properties=props)
        collect(responder, "svc/ping", 0, 1)
        responder.on_message = answer
        got, done = collect(requester, "reply/me", 0, 1)
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = "reply/me"
        props.CorrelationData = b"\x00\x01corr"
        requester.publish("svc/ping", b"ping", properties=props)
        assert done.wait(WAIT), "no reply"
        assert got[0].payload == b"pong"
        assert got[0].properties.CorrelationData == b"\x00\x01corr", got[0].properties
    finally:
        for c in (responder, requester):
            c.disconnect()
            c.loop_stop()


def paho_websocket(version):
    """Over WebSocket at /mqtt (subprotocol mqtt), to a TCP subscriber."""
    def scenario(server):
        sub, pub = paho_client(version, "ws-sub"), paho_client(version, "ws-pub", websocket=True)
        try:
            paho_connect(sub, server.port, version)
            paho_connect(pub, server.ws_port, version)
            got, done = collect(sub, "ws/#", 1, 1)
            pub.publish("ws/x", b"over websocket", qos=1).wait_for_publish(WAIT)
            assert done.wait(WAIT), "not delivered"
            assert got[0].payload == b"over websocket"
        finally:
            for c in (sub, pub):
                c.disconnect()
                c.loop_stop()
    return scenario


def make_certs(work):
    """A P-256 CA and a localhost server certificate signed by it."""
    def openssl(*args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True, timeout=30)
    ca_key, ca, key, csr, cert = (os.path.join(work, n) for n in ("ca.key", "ca.pem", "server.key", "server.csr",
                                                                  "server.pem"))
    ext = os.path.join(work, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", ca_key)
    openssl("req", "-x509", "-new", "-key", ca_key, "-subj", "/CN=tern test CA", "-days", "2", "-out", ca)
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key)
    openssl("req", "-new", "-key", key, "-subj", "/CN=localhost", "-out", csr)
    openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-days", "2",
            "-extfile", ext, "-out", cert)
    return {"ca": ca, "cert": cert, "key": key}


def paho_tls(certs):
    """Over TLS (8883's listener), verified against the test CA, to a TCP subscriber."""
    def scenario(server):
        sub, pub = paho_client(5, "tls-sub"), paho_client(5, "tls-pub")
        pub.tls_set(ca_certs=certs["ca"])
        try:
            paho_connect(sub, server.port, 5)
            paho_connect(pub, server.tls_port, 5)
            got, done = collect(sub, "tls/#", 1, 1)
            pub.publish("tls/x", b"over tls", qos=1).wait_for_publish(WAIT)
            assert done.wait(WAIT), "not delivered"
            assert got[0].payload == b"over tls"
        finally:
            for c in (sub, pub):
                c.disconnect()
                c.loop_stop()
    return scenario


def on_port(scenario):
    return lambda server: scenario(server.port)


SCENARIOS = [
    ("mosquitto_pub/sub 3.1.1 QoS 0", on_port(cli_qos("mqttv311", 0))),
    ("mosquitto_pub/sub 3.1.1 QoS 1", on_port(cli_qos("mqttv311", 1))),
    ("mosquitto_pub/sub 3.1.1 QoS 2", on_port(cli_qos("mqttv311", 2))),
    ("mosquitto_pub/sub 5.0 QoS 0", on_port(cli_qos("mqttv5", 0))),
    ("mosquitto_pub/sub 5.0 QoS 2", on_port(cli_qos("mqttv5", 2))),
    ("mosquitto_pub/sub retained set/delete", on_port(cli_retained)),
    ("mosquitto_pub/sub 5.0 user property", on_port(cli_user_properties)),
    ("paho 3.1.1 QoS 2", on_port(paho_qos2(4))),
    ("paho 5.0 QoS 2", on_port(paho_qos2(5))),
    ("paho 3.1.1 persistent session", on_port(paho_persistent(4))),
    ("paho 5.0 persistent session", on_port(paho_persistent(5))),
    ("paho 5.0 request/response + correlation", on_port(paho_request_response)),
    ("paho 3.1.1 over WebSocket", paho_websocket(4)),
    ("paho 5.0 over WebSocket", paho_websocket(5)),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tern", required=True)
    ap.add_argument("--mosquitto", default="/usr/sbin/mosquitto")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tern-mqtt-interop-")
    conf = os.path.join(work, "mosquitto.conf")
    certs = make_certs(work)
    SCENARIOS.append(("paho 5.0 over TLS", paho_tls(certs)))

    def tern_argv(port, ws_port, tls_port):
        return [args.tern, "-a", "127.0.0.1", "-p", "-1", "--websocket.port", "0", "--mqtt.port", str(port),
                "--mqtt.websocket.port", str(ws_port), "--mqtt.tls_port", str(tls_port),
                "--mqtt.tls.cert_file", certs["cert"], "--mqtt.tls.key_file", certs["key"]]

    def mosquitto_argv(port, ws_port, tls_port):
        with open(conf, "w") as f:
            # As root, mosquitto would drop to its own user, who cannot read
            # this run's private directory.
            if os.geteuid() == 0:
                f.write("user root\n")
            f.write("per_listener_settings false\nallow_anonymous true\npersistence false\n"
                    "listener %d 127.0.0.1\nlistener %d 127.0.0.1\nprotocol websockets\n"
                    "listener %d 127.0.0.1\ncertfile %s\nkeyfile %s\n"
                    % (port, ws_port, tls_port, certs["cert"], certs["key"]))
        return [args.mosquitto, "-c", conf]

    servers = [Server("tern", tern_argv, work)]
    if os.access(args.mosquitto, os.X_OK):
        servers.append(Server("mosquitto", mosquitto_argv, work))
    results = {}
    for server in servers:
        server.start()
        try:
            for name, scenario in SCENARIOS:
                try:
                    scenario(server)
                    results[(name, server.name)] = "ok"
                except Exception as e:  # noqa: BLE001 - every failure is reported in the table
                    results[(name, server.name)] = "FAIL: %s" % (str(e)[:80] or type(e).__name__)
        finally:
            server.stop()
    width = max(len(n) for n, _ in SCENARIOS)
    print("%-*s  %-10s  %s" % (width, "scenario", "tern", "mosquitto"))
    failed = False
    for name, _ in SCENARIOS:
        t = results.get((name, "tern"), "-")
        m = results.get((name, "mosquitto"), "not run")
        print("%-*s  %-10s  %s" % (width, name, t if t == "ok" else "FAIL", m))
        if t != "ok":
            print("    tern: " + t)
            failed = True
    if failed:
        print("server logs in " + work)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
