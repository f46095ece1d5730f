#!/usr/bin/env python3
"""How the cluster's shape scales from 3 to 1,024 nodes: a model, not a run.

Compares today's full mesh (every node routes to every other, one hop) with
the two-level shape docs/clustering.md proposes for large clusters: nodes in
cells of up to --cell nodes, a full mesh inside each cell, and "rails"
between cells (node i of one cell holds one route to node i of every other
cell; a message takes at most two hops: a rail, then the destination cell's
mesh). For each size it prints routes (cluster-wide and per node), interest
table memory per node, the time for one new subscription to be known
everywhere, a full interest resync after one node restarts, and the copies
a publisher writes for a message every node wants.

The inputs are the knobs below. --entry-bytes is rounded from what
bench/load/cluster_subs.py measured (RSS growth per remote subscription on
a peer holding 1,000,000 of them: 400 B); --apply-us is an assumption (the
one measurement, a 1,000,000-entry resync in 15.6 s, was taken on an
overloaded 2-core machine and is an upper bound); the network figures are
assumptions for one data centre. Interest a cell shares (service
subjects every node subscribes to) is stored once per cell on a rail, which
is where the hierarchy saves table memory; reply inboxes are routed by name
(the inbox carries its node, as nats-server gateways do with _GR_.), so
they are never propagated at all in the proposed shape.

Standard library only. Example:
  python3 bench/sim/cluster_scale.py --subs 10000 --shared 0.3 --inboxes 0.5
"""

import argparse
import math

SIZES = [3, 5, 10, 32, 64, 128, 256, 512, 1024]


def full_mesh(n, a):
    routes_node = n - 1
    remote_keys = (n - 1) * a.subs  # each peer's keys, one index entry per (peer, key)
    return {
        "routes": n * (n - 1) // 2,
        "routes_node": routes_node,
        "hops": 1,
        "table_mib": (remote_keys * a.entry_bytes + routes_node * a.route_bytes) / 2**20,
        # The origin writes one RS+ per route; the last leaves after the others.
        "converge_us": a.hop_us + routes_node * a.write_us,
        "resync_ms": remote_keys * a.apply_us / 1000,
        "broadcast_copies": routes_node,
        "pings_per_s": routes_node / a.ping_s,
    }


def cells(n, a):
    k = min(n, a.cell)
    c = math.ceil(n / k)
    routes_node = (k - 1) + (c - 1)
    shared = a.subs * a.shared
    own = a.subs - shared
    propagated_own = own * (1 - a.inboxes)  # inboxes are routed by name, not by interest
    # Inside the cell: each peer's keys as in the mesh (inboxes too: the
    # cell is one hop, so exact interest is cheap there).
    cell_keys = (k - 1) * a.subs
    # On each rail: the other cell's union, shared keys once, own keys per node.
    rail_keys = (c - 1) * (shared + k * propagated_own)
    return {
        "routes": n * routes_node // 2,
        "routes_node": routes_node,
        "hops": 1 if c == 1 else 2,
        "table_mib": ((cell_keys + rail_keys) * a.entry_bytes + routes_node * a.route_bytes) / 2**20,
        # Origin -> its cell (k-1 writes), then each cell peer -> its rails (c-1 writes).
        "converge_us": a.hop_us + (k - 1) * a.write_us + (0 if c == 1 else a.hop_us + (c - 1) * a.write_us),
        "resync_ms": (cell_keys + rail_keys) * a.apply_us / 1000,
        "broadcast_copies": routes_node,
        "pings_per_s": routes_node / a.ping_s,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--subs", type=int, default=10_000, help="distinct (subject, queue) keys per node")
    p.add_argument("--shared", type=float, default=0.3, help="share of a node's keys every node has (services)")
    p.add_argument("--inboxes", type=float, default=0.5, help="share of the other keys that are reply inboxes")
    p.add_argument("--cell", type=int, default=32, help="nodes per cell in the two-level shape")
    p.add_argument("--entry-bytes", type=float, default=400, help="index memory per remote interest entry")
    p.add_argument("--route-bytes", type=float, default=48 * 1024, help="fixed memory per route (buffers, session)")
    p.add_argument("--apply-us", type=float, default=0.6, help="cost to apply one RS+ of a resync")
    p.add_argument("--write-us", type=float, default=0.3, help="cost to encode one RS+ onto one route")
    p.add_argument("--hop-us", type=float, default=100, help="one network hop inside a data centre")
    p.add_argument("--ping-s", type=float, default=2.0, help="route keepalive interval")
    a = p.parse_args()

    print(f"keys per node {a.subs:,} (shared {a.shared:.0%}, inboxes {a.inboxes:.0%} of the rest), "
          f"cell {a.cell}, entry {a.entry_bytes:.0f} B, route {a.route_bytes / 1024:.0f} KiB, "
          f"hop {a.hop_us:.0f} us")
    head = (f"{'nodes':>5} | {'shape':<9} | {'routes':>9} | {'per node':>8} | {'hops':>4} | "
            f"{'table/node':>10} | {'converge':>9} | {'resync':>9} | {'bcast copies':>12} | {'pings/s':>7}")
    print(head)
    print("-" * len(head))
    for n in SIZES:
        for name, model in (("mesh", full_mesh), ("cells", cells)):
            r = model(n, a)
            print(f"{n:>5} | {name:<9} | {r['routes']:>9,} | {r['routes_node']:>8,} | {r['hops']:>4} | "
                  f"{r['table_mib']:>7.1f} MiB | {r['converge_us']:>6.0f} us | {r['resync_ms']:>6.0f} ms | "
                  f"{r['broadcast_copies']:>12,} | {r['pings_per_s']:>7.0f}")


if __name__ == "__main__":
    main()
