#!/usr/bin/env python3
"""Line a request/reply run's slow round trips up with a scheduler trace.

Inputs: the text of a system-wide scheduler trace taken during the run,
  perf record -k CLOCK_MONOTONIC -a -e sched:sched_switch -e sched:sched_wakeup -o sched.data
  perf script -i sched.data -F comm,tid,cpu,time,event,trace > sched.txt
and tern-loadgen reqrep --trace FILE (start_ns latency_ns per round trip, same clock).

Prints, for the measured interval only:
- per thread name (server, tern-loadgen): wake-ups and how long each waited
  between its wake-up and running (a thread that waits milliseconds behind
  another process is the tail, whatever the server does);
- per slice of the run: the share of server <-> client wake-ups that put the
  woken thread on another CPU than the waker's, next to the slice's p99;
- per CPU: who had it.

Standard library only. Example:
  python3 bench/load/wake_report.py sched.txt rt.txt --server tern-server
"""

import argparse
import collections
import re

WAKE = re.compile(r"^\s*(\S+)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+sched:sched_wakeup: comm=(\S+) pid=(\d+) .*target_cpu=(\d+)")
SWITCH = re.compile(r"^\s*(\S+)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+sched:sched_switch: prev_comm=(\S+) .*"
                    r"==> next_comm=(\S+) next_pid=(\d+)")
CLIENT = "tern-loadgen"


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sched", help="perf script output of the scheduler trace")
    parser.add_argument("trace", help="tern-loadgen reqrep --trace file")
    parser.add_argument("--server", default="tern-server", help="server thread name (tern-server, nats-server)")
    parser.add_argument("--slice", type=float, default=0.25, help="seconds per slice (0.25)")
    opts = parser.parse_args()

    rts = [tuple(map(int, line.split())) for line in open(opts.trace) if line.strip()]
    t0 = rts[0][0] / 1e9
    t1 = (rts[-1][0] + rts[-1][1]) / 1e9

    pending = {}  # tid -> (wake time, comm)
    waits = collections.defaultdict(list)
    slices = collections.defaultdict(lambda: [0, 0])  # slice -> [server<->client wake-ups, of which cross-CPU]
    running = {}  # cpu -> (since, comm)
    share = collections.defaultdict(collections.Counter)
    for line in open(opts.sched):
        m = WAKE.match(line)
        if m:
            t = float(m.group(4))
            if t0 <= t <= t1:
                pending[int(m.group(6))] = (t, m.group(5))
                if {m.group(1), m.group(5)} == {opts.server, CLIENT}:
                    s = slices[int((t - t0) / opts.slice)]
                    s[0] += 1
                    s[1] += m.group(3) != m.group(7)
            continue
        m = SWITCH.match(line)
        if not m:
            continue
        t, cpu, tid = float(m.group(4)), int(m.group(3)), int(m.group(7))
        if tid in pending:
            woke, comm = pending.pop(tid)
            waits[comm].append(t - woke)
        if cpu in running:
            since, comm = running[cpu]
            a, b = max(since, t0), min(t, t1)
            if b > a:
                share[cpu][comm] += b - a
        running[cpu] = (t, m.group(6))

    print("wake-up to running, during the measured round trips:")
    for comm in (opts.server, CLIENT):
        d = sorted(waits.get(comm, []))
        if d:
            print(f"  {comm:14s} {len(d):7d} wake-ups  p50 {percentile(d, .5) * 1e6:6.1f} us  "
                  f"p99 {percentile(d, .99) * 1e6:7.1f} us  >0.5 ms {sum(x > 5e-4 for x in d):5d}  "
                  f">2 ms {sum(x > 2e-3 for x in d):5d}")
    lat = collections.defaultdict(list)
    for start, latency in rts:
        lat[int((start / 1e9 - t0) / opts.slice)].append(latency)
    print(f"per {opts.slice:g} s: share of {opts.server} <-> {CLIENT} wake-ups onto another CPU, and round-trip p99:")
    for k in sorted(lat):
        n, cross = slices.get(k, (0, 0))
        p99 = percentile(sorted(lat[k]), .99) / 1e3
        pct = f"{100 * cross / n:3.0f}%" if n else "   -"
        print(f"  {k * opts.slice:6.2f} s  cross-CPU {pct}  p99 {p99:8.0f} us")
    print("CPU time by thread name:")
    for cpu in sorted(share):
        total = sum(share[cpu].values())
        print(f"  cpu{cpu}: " + ", ".join(f"{c} {100 * v / total:.0f}%" for c, v in share[cpu].most_common(5)))


if __name__ == "__main__":
    main()
