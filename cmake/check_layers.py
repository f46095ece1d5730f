#!/usr/bin/env python3
"""Checks the layer rules of docs/architecture.md on the sources.

Each directory under src/ may include only its own headers and those of the
layers below it; proto/ and core/ include no socket, thread or event-loop
header (they are tested as plain functions). CMake enforces the first rule
at compile time through per-library include roots (cmake/Layers.cmake);
this check names the offending line instead of a missing-file error, and
catches a rule broken by a target that links more than its layer should.

Exit 0 when clean, 1 with one line per violation.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
SRC = ROOT / "src"

# layer -> project include prefixes it may use (its own included).
ALLOWED = {
    "base": {"base"},
    "proto": {"base", "proto"},
    "core": {"base", "proto", "core"},
    "io": {"base", "io"},
    "server": {"base", "proto", "core", "io", "server"},
    # The HTTP monitoring API sits on the server (its snapshots) and never
    # the other way round: the server only knows a session factory.
    "monitor": {"base", "proto", "core", "io", "server", "monitor"},
    # The client library depends on base and proto only, never on core or
    # server, so it works against any NATS-protocol server; its public
    # headers are "tern/...".
    "client": {"base", "proto", "tern"},
}

# System headers that would give a pure layer a socket, a thread or a loop.
FORBIDDEN_SYSTEM = {
    "proto": re.compile(r"^(thread|pthread\.h|sys/socket\.h|sys/epoll\.h|netinet/.*|arpa/.*|netdb\.h|poll\.h|unistd\.h)$"),
    "core": re.compile(r"^(thread|pthread\.h|sys/socket\.h|sys/epoll\.h|netinet/.*|arpa/.*|netdb\.h|poll\.h|unistd\.h)$"),
}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def main():
    problems = []
    for layer, allowed in ALLOWED.items():
        for path in sorted((SRC / layer).rglob("*")):
            if path.suffix not in (".h", ".cc"):
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                kind, name = m.groups()
                where = f"{path.relative_to(ROOT)}:{number}"
                if kind == '"' and "/" in name:
                    prefix = name.split("/", 1)[0]
                    if prefix in ALLOWED or prefix == "tern":
                        if prefix not in allowed:
                            problems.append(f"{where}: {layer}/ may not include \"{name}\" ({prefix} is not below it)")
                elif (kind == "<" and layer in FORBIDDEN_SYSTEM and FORBIDDEN_SYSTEM[layer].match(name)
                      and not path.stem.endswith("_test")):  # a test may race threads against the code
                    problems.append(f"{where}: {layer}/ may not include <{name}> (no sockets or threads in {layer}/)")
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} layer violation(s)")
        return 1
    print("layers ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
