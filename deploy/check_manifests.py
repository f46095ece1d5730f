#!/usr/bin/env python3
"""Checks deploy/: the Kubernetes manifest parses and has what docs/deploy.md
says it has, and `systemd-analyze verify` accepts the systemd unit.

    check_manifests.py --server PATH-TO-tern-server

Exit 0 when all checks pass, 1 with the failures, 77 (CTest: skipped) when
neither PyYAML nor systemd-analyze is available.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def check_k8s(problems):
    import yaml
    with open(os.path.join(HERE, "k8s", "tern.yaml")) as f:
        docs = {d["kind"]: d for d in yaml.safe_load_all(f) if d}
    for kind in ("ConfigMap", "Service", "StatefulSet", "PodDisruptionBudget"):
        if kind not in docs:
            problems.append(f"k8s: no {kind}")
    sts = docs.get("StatefulSet", {})
    spec = sts.get("spec", {})
    container = spec.get("template", {}).get("spec", {}).get("containers", [{}])[0]
    if spec.get("serviceName") != "tern-headless":
        problems.append("k8s: StatefulSet.serviceName is not the headless service")
    for probe in ("livenessProbe", "readinessProbe"):
        if container.get(probe, {}).get("httpGet", {}).get("path") != "/healthz":
            problems.append(f"k8s: {probe} is not GET /healthz")
    if "USR2" not in " ".join(container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])):
        problems.append("k8s: preStop does not send SIGUSR2")
    labels = spec.get("selector", {}).get("matchLabels")
    if labels != spec.get("template", {}).get("metadata", {}).get("labels"):
        problems.append("k8s: selector does not match the pod labels")
    if docs.get("PodDisruptionBudget", {}).get("spec", {}).get("selector", {}).get("matchLabels") != labels:
        problems.append("k8s: PodDisruptionBudget selects other pods")


def check_systemd(server, problems):
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(HERE, "systemd", "tern-server.service")) as f:
            unit = f.read().replace("/usr/local/bin/tern-server", os.path.abspath(server))
        path = os.path.join(tmp, "tern-server.service")
        with open(path, "w") as f:
            f.write(unit)
        r = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True, timeout=60)
        # Complaints about other units on this machine are not ours.
        ours = [line for line in (r.stdout + r.stderr).splitlines() if "tern-server" in line]
        if r.returncode != 0 or ours:
            problems.append("systemd-analyze verify: " + " | ".join(ours or [r.stderr.strip()]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    args = parser.parse_args()
    problems, ran = [], 0
    try:
        import yaml  # noqa: F401
        check_k8s(problems)
        ran += 1
    except ImportError:
        print("PyYAML missing: manifest check skipped", file=sys.stderr)
    if shutil.which("systemd-analyze"):
        check_systemd(args.server, problems)
        ran += 1
    else:
        print("systemd-analyze missing: unit check skipped", file=sys.stderr)
    for p in problems:
        print(p)
    if not ran:
        return 77
    print("deploy checks ok" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
