#!/usr/bin/env python3
"""Black-box tests of the `tern` CLI against a real server process.

    cli_test.py --tern PATH --server PATH [--flavor tern|nats] [unittest args]

Starts the server (tern-server or nats-server, same flags) on a free loopback
port and runs the CLI against it as a user would: pub/sub, queue groups,
request/reply with every reply mode, no responders, timeouts, status, bench,
--help and bad flags, checking output and exit codes. Every process started
is stopped and every wait is bounded. Exit code 77 (CTest: skipped) when the
server binary is missing.
"""
import argparse
import json
import os
import pty
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

TERN = None
SERVER = None
FLAVOR = None
PORT = None
URL = None
SKIP = 77

# The exit codes `tern --help` documents.
OK, USAGE, CONNECT, TIMEOUT, NO_RESPONDERS, SERVER_ERROR = 0, 1, 2, 3, 4, 5

CMD_TIMEOUT = 30  # seconds; bound on any single CLI run


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


class ServerProcess:
    """The server under test on a free port; retried if the port was taken."""

    def __init__(self, binary, extra_args=()):
        self.binary = binary
        self.extra_args = list(extra_args)
        # tern-server opens WebSocket (8080) and MQTT (1883, 8083) listeners
        # by default; tests that run side by side must not all take them.
        if FLAVOR == "tern" and "--websocket.port" not in self.extra_args:
            self.extra_args += ["--websocket.port", "0"]
        if FLAVOR == "tern" and "--mqtt.port" not in self.extra_args:
            self.extra_args += ["--mqtt.port", "0", "--mqtt.websocket.port", "0"]
        if FLAVOR == "tern":
            self.extra_args += ["--mqtt.port", "0", "--mqtt.websocket.port", "0"]
        self.proc = None
        self.port = None
        self.workdir = tempfile.mkdtemp(prefix="tern-cli-test-")
        self.log = os.path.join(self.workdir, "server.log")

    def start(self):
        for _ in range(3):
            self.port = free_port()
            with open(self.log, "wb") as log:
                self.proc = subprocess.Popen(
                    [self.binary, "-a", "127.0.0.1", "-p", str(self.port)] + self.extra_args,
                    cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None:
                if port_open(self.port):
                    return
                time.sleep(0.05)
            self.stop()
        raise RuntimeError("server did not come up; log:\n" + self.log_tail())

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def log_tail(self):
        try:
            with open(self.log, "rb") as f:
                return f.read()[-3000:].decode(errors="replace")
        except OSError:
            return ""


SERVER_PROC = None


def setUpModule():
    global SERVER_PROC, PORT, URL
    SERVER_PROC = ServerProcess(SERVER)
    SERVER_PROC.start()
    PORT = SERVER_PROC.port
    URL = "nats://127.0.0.1:%d" % PORT


def tearDownModule():
    if SERVER_PROC is not None:
        SERVER_PROC.stop()


def subject(prefix="t"):
    # A fresh subject per case, so no case sees another's messages.
    return "%s.%s" % (prefix, uuid.uuid4().hex[:12])


class Background:
    """A long-running CLI process (sub, reply) started and always stopped."""

    def __init__(self, args, ready_text, env=None):
        self.args = args
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env)
        self.stderr_head = b""
        deadline = time.monotonic() + 10
        # Its "Subscribed"/"Listening" line comes after the server confirmed
        # the SUB, so publishing from here on cannot race it.
        while ready_text.encode() not in self.stderr_head:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                out, err = self.finish(1)
                raise AssertionError("%s not ready: rc=%s stderr=%r" % (args, self.proc.returncode,
                                                                        self.stderr_head + err))
            ready, _, _ = select.select([self.proc.stderr], [], [], left)
            if ready:
                chunk = os.read(self.proc.stderr.fileno(), 4096)
                if not chunk:
                    continue
                self.stderr_head += chunk

    def finish(self, timeout=10):
        """Waits for the exit (killing it past timeout); returns (stdout, stderr)."""
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate(timeout=5)
        return out, self.stderr_head + err

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.communicate(timeout=5)
        except (subprocess.TimeoutExpired, ValueError):
            pass


class CliTestCase(unittest.TestCase):
    def setUp(self):
        self.background = []

    def tearDown(self):
        for b in self.background:
            b.stop()

    def tern(self, *args, stdin=None, env=None, server=True, timeout=CMD_TIMEOUT):
        cmd = [TERN] + (["-s", URL] if server else []) + list(args)
        # No inherited stdin: pub and req read a non-terminal stdin as the payload.
        return subprocess.run(cmd, input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=timeout)

    def start(self, *args, ready, env=None):
        b = Background([TERN, "-s", URL] + list(args), ready, env=env)
        self.background.append(b)
        return b

    def assertExit(self, result, code):
        self.assertEqual(result.returncode, code,
                         "exit %s, want %s\nstdout: %r\nstderr: %r" % (result.returncode, code, result.stdout,
                                                                     result.stderr))

    def assertFinished(self, bg, code, timeout=10):
        out, err = bg.finish(timeout)
        self.assertEqual(bg.proc.returncode, code, "%s exit %s, want %s\nstdout: %r\nstderr: %r" %
                         (bg.args, bg.proc.returncode, code, out, err))
        return out.decode(), err.decode()


class StatusTest(CliTestCase):
    def test_status_shows_server_info(self):
        r = self.tern("status")
        self.assertExit(r, OK)
        text = r.stdout.decode()
        for field in ("Server at nats://127.0.0.1:%d" % PORT, "id:", "version:", "max_payload:", "headers:",
                      "rtt:", "transport:      plain TCP", "tls_required:   no"):
            self.assertIn(field, text)

    def test_status_json(self):
        r = self.tern("status", "--json", "--pings", "2")
        self.assertExit(r, OK)
        info = json.loads(r.stdout)
        self.assertTrue(info["server_id"])
        self.assertTrue(info["version"])
        self.assertEqual(info["max_payload"], 1024 * 1024)
        self.assertTrue(info["headers"])
        self.assertGreater(info["rtt_ns"]["median"], 0)

    def test_server_from_env_and_list(self):
        env = dict(os.environ, TERN_SERVER=URL)
        self.assertExit(self.tern("status", env=env, server=False), OK)
        # The first URL is dead: the next one in the list is used.
        dead = "nats://127.0.0.1:%d" % free_port()
        r = self.tern("-s", dead + "," + URL, "status", server=False)
        self.assertExit(r, OK)
        self.assertIn("Server at " + URL, r.stdout.decode())

    def test_connection_refused_is_exit_2(self):
        dead = "nats://127.0.0.1:%d" % free_port()
        for args in (["status"], ["pub", "x", "y"], ["req", "x", "y"], ["sub", "x"],
                     ["bench", "x", "--msgs", "10"]):
            r = self.tern("-s", dead, *args, server=False)
            self.assertExit(r, CONNECT)
            self.assertIn(b"tern:", r.stderr)


class PubSubTest(CliTestCase):
    def test_sub_count_receives_what_pub_sent(self):
        subj = subject()
        sub = self.start("sub", subj, "--count", "3", "--timeout", "10s", "--raw", ready="Subscribed")
        r = self.tern("pub", subj, "msg {{Count}}", "--count", "3")
        self.assertExit(r, OK)
        self.assertIn("Published 3 messages", r.stdout.decode())
        out, _ = self.assertFinished(sub, OK)
        self.assertEqual(out.splitlines(), ["msg 1", "msg 2", "msg 3"])

    def test_sub_default_format_shows_subject_reply_and_headers(self):
        subj = subject()
        sub = self.start("sub", subj, "--count", "1", "--timeout", "10s", ready="Subscribed")
        self.assertExit(self.tern("pub", subj, "hello", "-H", "Trace:abc", "-H", "X-Two: 2", "--reply", "back.here"),
                        OK)
        out, _ = self.assertFinished(sub, OK)
        self.assertIn('[#1] Received on "%s" with reply "back.here"' % subj, out)
        self.assertIn("Trace: abc\n", out)
        self.assertIn("X-Two: 2\n", out)
        self.assertIn("\nhello\n", out)

    def test_sub_raw_with_headers(self):
        subj = subject()
        sub = self.start("sub", subj, "--count", "1", "--timeout", "10s", "--raw", "--headers", ready="Subscribed")
        self.assertExit(self.tern("pub", subj, "body", "-H", "K:V"), OK)
        out, _ = self.assertFinished(sub, OK)
        self.assertEqual(out, "K: V\n\nbody\n")

    def test_pub_payload_from_stdin_and_file(self):
        subj = subject()
        sub = self.start("sub", subj, "--count", "3", "--timeout", "10s", "--raw", ready="Subscribed")
        self.assertExit(self.tern("pub", subj, "-", stdin=b"from dash"), OK)
        self.assertExit(self.tern("pub", subj, stdin=b"from pipe"), OK)
        with tempfile.NamedTemporaryFile() as f:
            f.write(b"from file")
            f.flush()
            self.assertExit(self.tern("pub", subj, "--file", f.name), OK)
        out, _ = self.assertFinished(sub, OK)
        self.assertEqual(out.splitlines(), ["from dash", "from pipe", "from file"])

    def test_pub_rate_paces_messages(self):
        subj = subject()
        start = time.monotonic()
        r = self.tern("pub", subj, "x", "--count", "6", "--rate", "20", "--quiet")
        self.assertExit(r, OK)
        self.assertEqual(r.stdout, b"")
        # 6 messages at 20/s: the last one is due 250 ms after the first.
        self.assertGreaterEqual(time.monotonic() - start, 0.25)

    def test_queue_group_splits_messages(self):
        subj = subject()
        members = [self.start("sub", subj, "--queue", "workers", "--count", "2", "--timeout", "10s", "--raw",
                              ready="in queue group workers") for _ in range(2)]
        everyone = self.start("sub", subj, "--count", "4", "--timeout", "10s", "--raw", ready="Subscribed")
        self.assertExit(self.tern("pub", subj, "m{{Count}}", "--count", "4"), OK)
        got = []
        for m in members:
            out, _ = self.assertFinished(m, OK)
            # Each member leaves after 2, so the other one gets the rest.
            self.assertEqual(len(out.splitlines()), 2, out)
            got += out.splitlines()
        self.assertEqual(sorted(got), ["m1", "m2", "m3", "m4"])
        out, _ = self.assertFinished(everyone, OK)
        self.assertEqual(out.splitlines(), ["m1", "m2", "m3", "m4"])

    def test_sub_timeout_without_messages_is_exit_3(self):
        r = self.tern("sub", subject(), "--count", "1", "--timeout", "300ms")
        self.assertExit(r, TIMEOUT)
        self.assertIn(b"received 0 of 1", r.stderr)

    def test_sub_stops_cleanly_on_sigint(self):
        sub = self.start("sub", subject(), ready="Subscribed")
        sub.proc.send_signal(signal.SIGINT)
        self.assertFinished(sub, OK, timeout=5)

    def test_payload_above_max_payload_is_exit_5(self):
        with tempfile.NamedTemporaryFile() as f:
            f.write(b"x" * (1024 * 1024 + 1))
            f.flush()
            r = self.tern("pub", subject(), "--file", f.name)
        self.assertExit(r, SERVER_ERROR)
        self.assertIn(b"max_payload", r.stderr)


class RequestReplyTest(CliTestCase):
    def test_reply_echo(self):
        subj = subject()
        rep = self.start("reply", subj, "--echo", "--count", "1", ready="Listening")
        r = self.tern("req", subj, "hello there", "-H", "Trace:42", "--timeout", "5s")
        self.assertExit(r, OK)
        out = r.stdout.decode()
        self.assertIn("Received with rtt", out)
        self.assertIn("Trace: 42\n", out)
        self.assertTrue(out.endswith("hello there\n"), out)
        out, _ = self.assertFinished(rep, OK)
        self.assertIn('Received on "%s"' % subj, out)

    def test_reply_command(self):
        subj = subject()
        rep = self.start("reply", subj, "--command", "tr a-z A-Z; printf %s \"@$TERN_SUBJECT\"", "--count", "1",
                         "--quiet", ready="Listening")
        r = self.tern("req", subj, "shout", "--raw", "--timeout", "5s")
        self.assertExit(r, OK)
        self.assertEqual(r.stdout.decode(), "SHOUT@%s\n" % subj)
        self.assertFinished(rep, OK)

    def test_reply_fixed_answer_in_queue_group(self):
        subj = subject()
        rep = self.start("reply", subj, "pong {{Count}}", "--queue", "svc", "--count", "2", "-H", "From:cli",
                         ready="Listening")
        first = self.tern("req", subj, "a", "--timeout", "5s")
        second = self.tern("req", subj, "b", "--raw", "--timeout", "5s")
        self.assertExit(first, OK)
        self.assertIn("From: cli\n", first.stdout.decode())
        self.assertTrue(first.stdout.decode().endswith("pong 1\n"))
        self.assertExit(second, OK)
        self.assertEqual(second.stdout, b"pong 2\n")
        self.assertFinished(rep, OK)

    def test_req_payload_from_stdin(self):
        subj = subject()
        rep = self.start("reply", subj, "--echo", "--count", "1", "--quiet", ready="Listening")
        r = self.tern("req", subj, "--raw", stdin=b"piped")
        self.assertExit(r, OK)
        self.assertEqual(r.stdout, b"piped\n")
        self.assertFinished(rep, OK)

    def test_no_responders_is_exit_4_at_once(self):
        start = time.monotonic()
        r = self.tern("req", subject(), "anyone?", "--timeout", "10s")
        self.assertExit(r, NO_RESPONDERS)
        self.assertIn(b"no responders", r.stderr)
        self.assertLess(time.monotonic() - start, 5, "no responders must not wait for the timeout")

    def test_silent_responder_is_exit_3(self):
        subj = subject()
        self.start("sub", subj, ready="Subscribed")  # receives, never answers
        start = time.monotonic()
        r = self.tern("req", subj, "hello?", "--timeout", "300ms")
        self.assertExit(r, TIMEOUT)
        self.assertIn(b"no reply", r.stderr)
        self.assertGreaterEqual(time.monotonic() - start, 0.3)

    def test_command_timeout_gives_no_answer(self):
        subj = subject()
        self.start("reply", subj, "--command", "sleep 5", "--command-timeout", "200ms", "--quiet", ready="Listening")
        r = self.tern("req", subj, "x", "--timeout", "1s")
        self.assertExit(r, TIMEOUT)


NUMBER = r"[0-9][0-9,]*"


class BenchTest(CliTestCase):
    def test_pub_only(self):
        r = self.tern("bench", subject("bench"), "--msgs", "20000", "--size", "16")
        self.assertExit(r, OK)
        out = r.stdout.decode()
        self.assertRegex(out, r"Pub stats: %s msgs/sec ~ [0-9.]+ MB/sec \(20,000 msgs\)" % NUMBER)
        self.assertNotIn("\r", out)  # no progress line when stdout is not a terminal

    def test_pub_sub_json(self):
        r = self.tern("bench", subject("bench"), "--pub", "1", "--sub", "2", "--msgs", "10000", "--size", "32",
                      "--json")
        self.assertExit(r, OK)
        figures = json.loads(r.stdout)
        self.assertEqual(figures["mode"], "pubsub")
        self.assertEqual(figures["pub"]["msgs"], 10000)
        self.assertEqual(figures["sub"]["msgs"], 20000)  # each subscriber sees every message
        self.assertGreater(figures["pub"]["msgs_per_sec"], 0)
        self.assertGreater(figures["sub"]["mb_per_sec"], 0)

    def test_queue(self):
        r = self.tern("bench", subject("bench"), "--pub", "2", "--sub", "3", "--queue", "q", "--msgs", "9000")
        self.assertExit(r, OK)
        out = r.stdout.decode()
        self.assertRegex(out, r"Sub stats: %s msgs/sec ~ [0-9.]+ MB/sec \(9,000 msgs\)" % NUMBER)
        self.assertRegex(out, r"min %s \| avg %s \| max %s \| stddev" % (NUMBER, NUMBER, NUMBER))

    def test_request_reply_percentiles(self):
        r = self.tern("bench", subject("bench"), "--request", "--pub", "2", "--sub", "2", "--msgs", "600",
                      "--size", "128", "--warmup", "10")
        self.assertExit(r, OK)
        out = r.stdout.decode()
        self.assertRegex(out, r"Request stats: %s req/sec" % NUMBER)
        self.assertRegex(out, r"Latency \(us\): min [0-9.]+ \| p50 [0-9.]+ \| p90 [0-9.]+ \| p99 [0-9.]+")
        r = self.tern("bench", subject("bench"), "--request", "--msgs", "200", "--json")
        self.assertExit(r, OK)
        lat = json.loads(r.stdout)["latency_us"]
        self.assertTrue(0 < lat["min"] <= lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"], lat)

    def test_progress_line_on_terminal_and_timeout_exit_3(self):
        # A subscriber that nobody publishes to: it runs into --timeout. With
        # stdout on a terminal the progress line shows meanwhile.
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(TERN, [TERN, "-s", URL, "bench", subject("bench"), "--pub", "0", "--sub", "1", "--msgs", "5",
                            "--timeout", "1s"])
        out = b""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
        done, status = 0, 0
        while done == 0 and time.monotonic() < deadline + 5:
            done, status = os.waitpid(pid, os.WNOHANG)
            time.sleep(0.02)
        if done == 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            self.fail("bench did not exit: %r" % out)
        os.close(fd)
        self.assertEqual(os.waitstatus_to_exitcode(status), TIMEOUT, out)
        self.assertIn(b"\rsub 0/5", out.replace(b"\x1b[K", b""))

    def test_request_without_responders_side(self):
        # --request always starts at least one responder, so this must work.
        r = self.tern("bench", subject("bench"), "--request", "--sub", "0", "--msgs", "50")
        self.assertExit(r, OK)


COMMANDS = ["pub", "sub", "req", "reply", "bench", "status", "passwd"]


class FlagsTest(CliTestCase):
    """How the command line is read: where options may go, how many values
    each takes, one meaning per short flag, environment, units."""

    def test_global_options_after_the_command(self):
        subj = subject()
        sub = Background([TERN, "sub", "--server", URL, subj, "--count", "1", "--timeout", "10s", "--raw"],
                         "Subscribed")
        self.background.append(sub)
        self.assertExit(self.tern("pub", subj, "-s", URL, "after", server=False), OK)
        out, _ = self.assertFinished(sub, OK)
        self.assertEqual(out, "after\n")

    def test_header_takes_one_value_per_occurrence(self):
        subj = subject()
        sub = self.start("sub", subj, "--count", "2", "--timeout", "10s", "--raw", "--headers", ready="Subscribed")
        self.assertExit(self.tern("pub", subj, "-H", "k:v", "hello"), OK)
        self.assertExit(self.tern("pub", subj, "-H", "a:1", "-H", "b:2", "two"), OK)
        out, _ = self.assertFinished(sub, OK)
        self.assertEqual(out, "k: v\n\nhello\na: 1\nb: 2\n\ntwo\n")

    def test_short_flags_mean_one_thing_everywhere(self):
        meaning = {}
        for cmd in [None] + COMMANDS:
            r = self.tern(*([cmd] if cmd else []), "--help", server=False)
            self.assertExit(r, OK)
            for short, long in re.findall(r"^\s+-(\w),--([\w-]+)", r.stdout.decode(), re.M):
                self.assertEqual(meaning.setdefault(short, long), long,
                                 "-%s is --%s in %s but --%s elsewhere" % (short, long, cmd, meaning[short]))
        # The ones the nats CLI has, with its meanings.
        for short, long in {"s": "server", "H": "header", "r": "raw", "q": "quiet"}.items():
            self.assertEqual(meaning.get(short), long)
        # -q is no longer the queue group in sub, -r no longer the rate in pub.
        self.assertExit(self.tern("sub", subject(), "-q", "workers"), USAGE)
        self.assertExit(self.tern("pub", subject(), "x", "-r", "5"), USAGE)

    def test_nats_url_is_honoured_and_tern_server_wins(self):
        dead = "nats://127.0.0.1:%d" % free_port()
        env = dict(os.environ, NATS_URL=URL)
        env.pop("TERN_SERVER", None)
        r = self.tern("status", env=env, server=False)
        self.assertExit(r, OK)
        self.assertIn("Server at " + URL, r.stdout.decode())
        self.assertExit(self.tern("status", env=dict(env, TERN_SERVER=URL, NATS_URL=dead), server=False), OK)
        self.assertExit(self.tern("status", env=dict(env, TERN_SERVER=dead, NATS_URL=URL), server=False), CONNECT)
        # A flag beats both.
        self.assertExit(self.tern("status", env=dict(env, TERN_SERVER=dead, NATS_URL=dead)), OK)

    def test_req_with_empty_or_open_stdin_does_not_hang(self):
        subj = subject()
        self.start("reply", subj, "--echo", "--quiet", ready="Listening")
        r = self.tern("req", subj, "--raw", "--timeout", "5s", stdin=b"")
        self.assertExit(r, OK)
        self.assertEqual(r.stdout, b"\n")
        silent = subject()
        self.start("sub", silent, ready="Subscribed")
        start = time.monotonic()
        self.assertExit(self.tern("req", silent, "--timeout", "500ms", stdin=b""), TIMEOUT)
        self.assertLess(time.monotonic() - start, 5)
        # A stdin its caller never closes: bounded by --timeout, then a usage error.
        proc = subprocess.Popen([TERN, "-s", URL, "req", subj, "--timeout", "500ms"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            proc.wait(timeout=10)  # not communicate(): that would close stdin
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            self.fail("tern req hung on an open stdin")
        finally:
            proc.stdin.close()
        err = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
        self.assertEqual(proc.returncode, USAGE, err)
        self.assertIn(b"stdin did not end", err)

    def test_subcommand_help_shows_global_options(self):
        for cmd in COMMANDS:
            r = self.tern(cmd, "--help", server=False)
            self.assertExit(r, OK)
            out = r.stdout.decode()
            for flag in ("--server", "--user", "--connect-timeout"):
                self.assertIn(flag, out, cmd)

    def test_dash_h_with_an_argument_is_a_usage_error(self):
        subj = subject()
        sub = self.start("sub", subj, "--count", "1", "--timeout", "1s", ready="Subscribed")
        r = self.tern("pub", "-h", "127.0.0.1", subj, "hello")
        self.assertExit(r, USAGE)
        self.assertIn(b"-s/--server", r.stderr)
        self.assertEqual(r.stdout, b"")
        self.assertFinished(sub, TIMEOUT)  # nothing was published
        for args in (["pub", subj, "-h"], ["-h"], ["sub", "--help"]):
            r = self.tern(*args, server=False)
            self.assertExit(r, OK)
            self.assertIn(b"Usage:", r.stdout)

    def test_durations_and_sizes_follow_the_server_rules(self):
        # A unit is required (only 0 may go without); whole milliseconds.
        for value in ("5", "1.5ms", "2 s"):
            r = self.tern("req", subject(), "x", "--timeout", value)
            self.assertExit(r, USAGE)
            self.assertIn(b"not a duration", r.stderr)
        self.assertExit(self.tern("sub", subject(), "--count", "1", "--timeout", "0.25s"), TIMEOUT)
        # KB is 1024 bytes, as in the server's configuration; K is 1000.
        for size, want in (("64KB", 65536), ("64KiB", 65536), ("64K", 64000), ("1MB", 1048576), ("100", 100)):
            r = self.tern("bench", subject("bench"), "--msgs", "1", "--size", size, "--json")
            self.assertExit(r, OK)
            self.assertEqual(json.loads(r.stdout)["size"], want, size)


def make_certs(directory):
    """A CA, a server certificate for 127.0.0.1/localhost and a client
    certificate, made now with openssl (never committed)."""
    def run(*args):
        subprocess.run(args, cwd=directory, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run("openssl", "req", "-x509", *key, "-days", "2", "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=tern CA")
    for name, ext in (("server", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"),
                      ("client", "extendedKeyUsage=clientAuth\n")):
        with open(os.path.join(directory, name + ".ext"), "w") as f:
            f.write(ext)
        run("openssl", "req", *key, "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name)
        run("openssl", "x509", "-req", "-days", "2", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", name + ".pem", "-extfile", name + ".ext")
    return {n: os.path.join(directory, n) for n in ("ca.pem", "server.pem", "server.key", "client.pem",
                                                     "client.key")}


class TlsTest(CliTestCase):
    """TLS with the nats CLI's flags against servers started with
    nats-server's (--tls --tlscert --tlskey; --tlsverify --tlscacert), which
    tern-server takes too once its TLS lands: skipped until its --help lists
    --tlscert."""

    @classmethod
    def setUpClass(cls):
        help_text = subprocess.run([SERVER, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   timeout=10).stdout
        if b"--tlscert" not in help_text:
            raise unittest.SkipTest("%s has no --tlscert yet" % SERVER)
        cls.dir = tempfile.mkdtemp(prefix="tern-cli-certs-")
        cls.certs = make_certs(cls.dir)
        c = cls.certs
        cls.tls = ServerProcess(SERVER, ["--tls", "--tlscert", c["server.pem"], "--tlskey", c["server.key"]])
        cls.verifying = ServerProcess(SERVER, ["--tlsverify", "--tlscert", c["server.pem"], "--tlskey",
                                               c["server.key"], "--tlscacert", c["ca.pem"]])
        cls.tls.start()
        try:
            cls.verifying.start()
        except Exception:
            cls.tls.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.tls.stop()
        cls.verifying.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def url(self, server, scheme="tls", host="localhost"):
        return "%s://%s:%d" % (scheme, host, server.port)

    def run_tls(self, server, *args, scheme="tls", ca=True, **kw):
        flags = ["-s", self.url(server, scheme)] + (["--tlsca", self.certs["ca.pem"]] if ca else [])
        return self.tern(*(flags + list(args)), server=False, **kw)

    def test_status_shows_tls(self):
        r = self.run_tls(self.tls, "status")
        self.assertExit(r, OK)
        out = r.stdout.decode()
        self.assertIn("Server at " + self.url(self.tls), out)
        self.assertRegex(out, r"transport:\s+TLS \(TLSv1\.[23], \S+\)")
        self.assertIn("tls_required:   yes\n", out)
        info = json.loads(self.run_tls(self.tls, "status", "--json").stdout)
        self.assertTrue(info["tls"])
        self.assertFalse(info["websocket"])
        self.assertTrue(info["tls_version"].startswith("TLSv1."))
        self.assertTrue(info["tls_required"])

    def test_pub_sub_over_tls(self):
        subj = subject()
        sub = Background([TERN, "-s", self.url(self.tls, "nats"), "--tlsca", self.certs["ca.pem"], "sub", subj,
                          "--count", "1", "--timeout", "10s", "--raw"], "Subscribed")
        self.background.append(sub)
        self.assertExit(self.run_tls(self.tls, "pub", subj, "sealed"), OK)
        out, _ = self.assertFinished(sub, OK)
        self.assertEqual(out, "sealed\n")

    def test_untrusted_certificate_is_exit_2_with_a_hint(self):
        r = self.run_tls(self.tls, "status", ca=False)
        self.assertExit(r, CONNECT)
        self.assertIn(b"not trusted", r.stderr)
        self.assertIn(b"--tlsca", r.stderr)

    def test_client_certificate_required(self):
        r = self.run_tls(self.verifying, "status")
        self.assertExit(r, CONNECT)
        self.assertIn(b"requires a client certificate", r.stderr)
        self.assertIn(b"--tlscert", r.stderr)
        r = self.run_tls(self.verifying, "status", "--tlscert", self.certs["client.pem"], "--tlskey",
                         self.certs["client.key"])
        self.assertExit(r, OK)
        self.assertIn("tls_required:   yes, with client certificates", r.stdout.decode())

    def test_tlsfirst_against_an_info_first_server(self):
        r = self.run_tls(self.tls, "status", "--tlsfirst")
        self.assertExit(r, CONNECT)
        self.assertIn(b"INFO in plaintext", r.stderr)
        self.assertIn(b"--tlsfirst", r.stderr)

    def test_tls_url_to_a_plaintext_server(self):
        r = self.tern("-s", "tls://127.0.0.1:%d" % PORT, "status", server=False)
        self.assertExit(r, CONNECT)
        self.assertIn(b"does not offer TLS", r.stderr)

    def test_unreadable_ca_file_is_a_usage_error(self):
        r = self.run_tls(self.tls, "status", "--tlsca", os.path.join(self.dir, "missing.pem"), ca=False)
        self.assertExit(r, USAGE)
        self.assertIn(b"missing.pem", r.stderr)


class WebSocketTest(CliTestCase):
    """ws:// and wss:// against the server's websocket listener: nats-server's
    from a config file, tern-server's from --websocket.port (skipped until its
    --help lists it)."""

    @classmethod
    def setUpClass(cls):
        help_text = subprocess.run([SERVER, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   timeout=10).stdout
        if FLAVOR == "tern" and b"--websocket.port" not in help_text:
            raise unittest.SkipTest("%s has no --websocket.port yet" % SERVER)
        cls.dir = tempfile.mkdtemp(prefix="tern-cli-ws-")
        cls.certs = make_certs(cls.dir)
        cls.servers = []
        try:
            cls.ws_port, cls.ws = cls.start_ws(tls=False)
            cls.wss_port, cls.wss = cls.start_ws(tls=True)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def start_ws(cls, tls):
        port = free_port()
        c = cls.certs
        if FLAVOR == "tern":
            args = ["--websocket.port", str(port)]
            if tls:
                args += ["--websocket.tls.cert_file", c["server.pem"], "--websocket.tls.key_file", c["server.key"]]
        else:
            conf = os.path.join(cls.dir, "ws%d.conf" % port)
            with open(conf, "w") as f:
                inner = ('tls { cert_file: "%s", key_file: "%s" }' % (c["server.pem"], c["server.key"])
                         if tls else "no_tls: true")
                f.write("websocket { port: %d, %s }\n" % (port, inner))
            args = ["-c", conf]
        server = ServerProcess(SERVER, args)
        server.start()
        cls.servers.append(server)
        deadline = time.monotonic() + 10
        while not port_open(port):
            if time.monotonic() > deadline:
                raise RuntimeError("websocket listener did not open; log:\n" + server.log_tail())
            time.sleep(0.05)
        return port, server

    @classmethod
    def tearDownClass(cls):
        for server in cls.servers:
            server.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_status_shows_websocket(self):
        r = self.tern("-s", "ws://127.0.0.1:%d" % self.ws_port, "status", server=False)
        self.assertExit(r, OK)
        self.assertIn("transport:      WebSocket\n", r.stdout.decode())
        r = self.tern("-s", "wss://localhost:%d" % self.wss_port, "--tlsca", self.certs["ca.pem"], "status", "--json",
                      server=False)
        self.assertExit(r, OK)
        info = json.loads(r.stdout)
        self.assertTrue(info["websocket"])
        self.assertTrue(info["tls"])
        r = self.tern("-s", "wss://localhost:%d" % self.wss_port, "--tlsca", self.certs["ca.pem"], "status",
                      server=False)
        self.assertRegex(r.stdout.decode(), r"transport:\s+WebSocket over TLS \(TLSv1\.[23], \S+\)")

    def test_pub_sub_over_websocket(self):
        subj = subject()
        ws_url = "ws://127.0.0.1:%d" % self.ws_port
        tcp_url = "nats://127.0.0.1:%d" % self.ws.port
        sub = Background([TERN, "-s", ws_url, "sub", subj, "--count", "2", "--timeout", "10s", "--raw"], "Subscribed")
        self.background.append(sub)
        self.assertExit(self.tern("-s", ws_url, "pub", subj, "over ws", server=False), OK)
        self.assertExit(self.tern("-s", tcp_url, "pub", subj, "over tcp", server=False), OK)
        out, _ = self.assertFinished(sub, OK)
        self.assertEqual(out, "over ws\nover tcp\n")

    def test_websocket_url_to_the_client_port(self):
        r = self.tern("-s", "ws://127.0.0.1:%d" % self.ws.port, "status", server=False)
        self.assertExit(r, CONNECT)
        self.assertIn(b"not a websocket one", r.stderr)


class PasswdTest(CliTestCase):
    """tern passwd needs no server: it prints a hash for the config file."""

    def check_hash(self, password, line, cost):
        self.assertRegex(line, r"^\$2b\$%02d\$[./A-Za-z0-9]{53}$" % cost)
        try:
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import crypt
        except ImportError:
            return
        self.assertEqual(crypt.crypt(password, line), line)

    def test_hash_from_stdin_verifies(self):
        r = self.tern("passwd", "--cost", "5", stdin=b"correct horse\n", server=False)
        self.assertExit(r, OK)
        self.check_hash("correct horse", r.stdout.decode().strip(), 5)

    def test_default_cost_is_11_and_hashes_are_salted(self):
        a = self.tern("passwd", "--pass", "battery staple", server=False)
        b = self.tern("passwd", "--pass", "battery staple", server=False)
        self.assertExit(a, OK)
        self.check_hash("battery staple", a.stdout.decode().strip(), 11)
        self.assertNotEqual(a.stdout, b.stdout)

    def test_short_password_and_bad_cost_are_usage_errors(self):
        self.assertExit(self.tern("passwd", "--pass", "short", server=False), USAGE)
        self.assertExit(self.tern("passwd", "--pass", "short", "--allow-short", "--cost", "4", server=False), OK)
        self.assertExit(self.tern("passwd", "--pass", "long enough", "--cost", "3", server=False), USAGE)


class UsageTest(CliTestCase):
    def test_help_on_every_command(self):
        for cmd in [None] + COMMANDS:
            args = ([cmd] if cmd else []) + ["--help"]
            r = self.tern(*args, server=False)
            self.assertExit(r, OK)
            out = r.stdout.decode()
            self.assertIn("Usage:", out)
            self.assertIn("Exit codes:", out)
            self.assertIn("4  no responders", out)
            if cmd:
                self.assertIn("tern " + cmd, out)

    def test_bad_usage_is_exit_1(self):
        cases = [
            [],                                       # no command
            ["nosuch"],                               # unknown command
            ["pub"],                                  # missing subject
            ["sub", "x", "--bogus"],                  # unknown flag
            ["req", "x", "y", "--timeout", "soon"],   # bad duration
            ["pub", "x", "--count", "-1"],            # bad number
            ["bench", "x", "--size", "12Q"],          # bad size
            ["reply", "x", "answer", "--echo"],       # two reply modes
            ["pub", "x", "y", "--file", "/etc/hostname"],  # payload and file
            ["pub", "x", "-H", "no-colon"],           # bad header
            ["pub", "x", "--file", "/nonexistent/file"],
            ["pub", "bad subject", "y"],              # invalid subject
            ["bench", "x", "--pub", "0", "--sub", "0"],
        ]
        for args in cases:
            r = self.tern(*args)
            self.assertEqual(r.returncode, USAGE, "%s: exit %s, stderr %r" % (args, r.returncode, r.stderr))
            self.assertTrue(r.stderr, args)


def main():
    global TERN, SERVER, FLAVOR
    parser = argparse.ArgumentParser()
    parser.add_argument("--tern", required=True)
    parser.add_argument("--server", required=True, help="tern-server or nats-server binary")
    parser.add_argument("--flavor", default="tern")
    args, rest = parser.parse_known_args()
    TERN, FLAVOR = os.path.abspath(args.tern), args.flavor
    SERVER = os.path.abspath(args.server) if args.server else ""
    if not SERVER or not os.access(SERVER, os.X_OK):
        print("skipped: server binary not found: %r" % SERVER)
        return SKIP
    print("tern CLI tests against %s (%s)" % (FLAVOR, SERVER), flush=True)
    program = unittest.main(argv=[sys.argv[0]] + rest, exit=False, verbosity=2)
    return 0 if program.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
