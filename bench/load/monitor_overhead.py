#!/usr/bin/env python3
"""Message-path throughput with and without a monitoring client.

Runs the same tern-loadgen scenario against tern-server started with -m,
alternating a run with no HTTP client and a run with a poller that GETs
/connz?subs=1 and /metrics every 100 ms (issue 9's figure: goal <= 3 %
slower), a fresh server per run, and prints the medians and their ratio.
Then reports the memory of the traffic history and the event log at their
bounds (/trafficz's memory_bytes; the event log filled past max_events).

Standard library only. Example (a Release build):
  python3 bench/load/monitor_overhead.py --tern build-release/apps/tern-server \
      --loadgen build-release/bench/load/tern-loadgen --rounds 3
"""
import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare  # noqa: E402  (Server, run_loadgen, free_port)

SCENARIO = ["pubsub", "--msgs", "5000000", "--size", "16", "--subs", "1"]


class Poller(threading.Thread):
    """GETs each path every `period` until stopped; counts answers."""

    def __init__(self, http_port, paths, period=0.1):
        super().__init__(daemon=True)
        self.urls = [f"http://127.0.0.1:{http_port}{p}" for p in paths]
        self.period = period
        self.stop_flag = threading.Event()
        self.requests = 0
        self.bytes = 0
        self.errors = 0

    def run(self):
        while not self.stop_flag.is_set():
            t0 = time.monotonic()
            for url in self.urls:
                try:
                    with urllib.request.urlopen(url, timeout=5) as r:
                        self.bytes += len(r.read())
                        self.requests += 1
                except OSError:
                    self.errors += 1
            self.stop_flag.wait(max(0.0, self.period - (time.monotonic() - t0)))


def one_run(args, log_dir, tag, poll):
    http_port = compare.free_port()
    server = compare.Server(args.tern, ["--websocket.port", "0", "--mqtt.port", "0", "--mqtt.websocket.port", "0", "-m", str(http_port)], log_dir, tag)
    server.start()
    poller = None
    try:
        if poll:
            poller = Poller(http_port, ["/connz?subs=1", "/metrics"])
            poller.start()
        result, error, cpu = compare.run_loadgen(args.loadgen, server, SCENARIO)
        if error:
            raise RuntimeError(f"{tag}: {error}")
        return result["delivered_per_sec"], poller
    finally:
        if poller:
            poller.stop_flag.set()
            poller.join(10)
        server.stop()


def ring_memory(args, log_dir):
    """Fills the event log past its bound and reads the figures."""
    http_port = compare.free_port()
    server = compare.Server(args.tern, ["--websocket.port", "0", "--mqtt.port", "0", "--mqtt.websocket.port", "0", "-m", str(http_port),
                                        "--http.event_log.max_events", "10000"], log_dir, "rings")
    server.start()
    try:
        import socket
        rss0 = server.rss_bytes()
        for i in range(6000):  # 12,000 events: connect + disconnect
            with socket.create_connection(("127.0.0.1", server.port)) as s:
                s.recv(4096)
                s.sendall(b'CONNECT {"name":"client-%d","lang":"python","version":"1.0"}\r\nPING\r\n' % i)
                while b"PONG" not in s.recv(4096):
                    pass
        time.sleep(1.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/trafficz", timeout=5) as r:
            traffic = json.loads(r.read())
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/eventz?limit=0", timeout=5) as r:
            events = json.loads(r.read())
        return traffic["memory_bytes"], events, server.rss_bytes() - rss0
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tern", required=True)
    parser.add_argument("--loadgen", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    compare.raise_fd_limit()
    quiet, polled = [], []
    with tempfile.TemporaryDirectory() as log_dir:
        for i in range(args.rounds):
            rate, _ = one_run(args, log_dir, f"quiet{i}", poll=False)
            quiet.append(rate)
            rate, poller = one_run(args, log_dir, f"polled{i}", poll=True)
            polled.append(rate)
            print(f"round {i + 1}: without {quiet[-1] / 1e6:.2f}M msgs/s, with poller {polled[-1] / 1e6:.2f}M msgs/s "
                  f"({poller.requests} HTTP answers, {poller.bytes / 1e3:.0f} kB, {poller.errors} errors)", flush=True)
        q, p = statistics.median(quiet), statistics.median(polled)
        print(f"median: without {q / 1e6:.2f}M msgs/s, with poller {p / 1e6:.2f}M msgs/s, "
              f"ratio {p / q:.3f} ({(1 - p / q) * 100:+.1f}% slower)")
        traffic_bytes, events, rss_delta = ring_memory(args, log_dir)
        print(f"traffic history at its bound: {traffic_bytes} bytes (fixed)")
        print(f"event log after 12,000 events, bound {events['max_events']}: {events['memory_bytes']} bytes "
              f"(last_seq {events['last_seq']}); server RSS grew {rss_delta / 1024:.0f} KiB "
              f"(the event log and 6,000 closed connections in their ring)")


if __name__ == "__main__":
    main()
