#!/usr/bin/env python3
"""A real Prometheus (Debian's prometheus) scrapes tern-server's /metrics.

    prometheus_test.py --server PATH --prometheus PATH

Starts tern-server with -m, and prometheus with a 1 s scrape of it; checks
that the target is up, that Prometheus parsed tern's families (no scrape
errors), and that the message counters move as traffic flows. Exit 77
(CTest: skipped) when prometheus is not installed.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import monitor_test  # noqa: E402  (the server and client helpers)

TERN = None
PROMETHEUS = None
SKIP = 77


class Prometheus:
    def __init__(self, target_port):
        self.dir = tempfile.mkdtemp(prefix="tern-prometheus-test-")
        self.port = monitor_test.free_port()
        config = os.path.join(self.dir, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global: {scrape_interval: 1s, scrape_timeout: 900ms}\n"
                    "scrape_configs:\n"
                    f"  - job_name: tern\n    static_configs: [{{targets: ['127.0.0.1:{target_port}']}}]\n")
        self.log = open(os.path.join(self.dir, "prometheus.log"), "wb")
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={self.dir}/data",
             f"--web.listen-address=127.0.0.1:{self.port}"], stdout=self.log, stderr=subprocess.STDOUT)

    def query(self, expr):
        url = f"http://127.0.0.1:{self.port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                doc = json.loads(r.read())
        except OSError:
            return None
        result = doc.get("data", {}).get("result", [])
        return float(result[0]["value"][1]) if result else None

    def wait_for(self, expr, predicate, bound=60.0):
        deadline = time.monotonic() + bound
        value = None
        while time.monotonic() < deadline:
            value = self.query(expr)
            if value is not None and predicate(value):
                return value
            time.sleep(0.5)
        raise AssertionError(f"{expr}: last value {value} after {bound}s; log:\n{self.tail()}")

    def tail(self):
        self.log.flush()
        with open(os.path.join(self.dir, "prometheus.log"), "rb") as f:
            return f.read()[-3000:].decode(errors="replace")

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class PrometheusScrapeTest(unittest.TestCase):
    def test_scrapes_and_sees_counters_move(self):
        with monitor_test.Server(TERN) as tern:
            prom = Prometheus(tern.http_port)
            try:
                prom.wait_for('up{job="tern"}', lambda v: v == 1)
                self.assertEqual(prom.query('scrape_samples_scraped{job="tern"}') > 20, True)
                before = prom.wait_for("tern_messages_in_total", lambda v: v >= 0)
                client = monitor_test.Client(tern.port, name="load")
                client.send("SUB load 1\r\n" + "PUB load 1\r\nx\r\n" * 500)
                client.flush()
                after = prom.wait_for("tern_messages_in_total", lambda v: v >= before + 500)
                self.assertGreaterEqual(after - before, 500)
                prom.wait_for("tern_messages_out_total", lambda v: v >= 500)
                prom.wait_for('tern_listener_connections{listener="client"}', lambda v: v == 1)
                prom.wait_for("tern_connections", lambda v: v == 1)
                client.close()
                prom.wait_for("tern_connections", lambda v: v == 0)
                prom.wait_for('tern_info{version!=""}', lambda v: v == 1)
            finally:
                prom.close()


def main():
    global TERN, PROMETHEUS
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--prometheus", default="")
    args, rest = parser.parse_known_args()
    TERN, monitor_test.TERN = args.server, args.server
    if not args.prometheus or not os.access(args.prometheus, os.X_OK):
        print("prometheus not installed (scripts/setup-deps.sh installs it): skipped", file=sys.stderr)
        sys.exit(SKIP)
    PROMETHEUS = args.prometheus
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
