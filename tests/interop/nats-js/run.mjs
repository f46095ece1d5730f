// Starts tern-server and nats-server on free loopback ports, runs
// scenario.mjs against each, stops them, and fails if either run fails.
// nats-server is the reference: a check that fails there is a bad check.
//
// Usage: node run.mjs [--tern PATH] [--nats PATH] [--only tern|nats]
// Paths default to env TERN_SERVER_BIN / NATS_SERVER_BIN, then nats-server on PATH.
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const out = { tern: process.env.TERN_SERVER_BIN || "", nats: process.env.NATS_SERVER_BIN || "", only: "" };
  for (let i = 0; i < argv.length; i++) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (key === "--tern") out.tern = value;
    else if (key === "--nats") out.nats = value;
    else if (key === "--only") out.only = value;
    else {
      console.error(`unknown argument ${key}`);
      process.exit(2);
    }
    i++;
  }
  return out;
}

function which(name) {
  for (const dir of (process.env.PATH || "").split(":")) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return "";
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Starts `binary` on a free port; retries on a new port if it dies at start-up
// (someone took the port in between). Returns { proc, port, logPath, exited }.
async function startServer(name, binary, logDir, extraArgs = []) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const logPath = path.join(logDir, `${name}-${attempt}.log`);
    const log = createWriteStream(logPath);
    const proc = spawn(binary, ["-a", "127.0.0.1", "-p", String(port), ...extraArgs], { stdio: ["ignore", "pipe", "pipe"] });
    proc.stdout.pipe(log);
    proc.stderr.pipe(log);
    const state = { proc, port, logPath, exitCode: null, signal: null, exited: false };
    state.exitPromise = new Promise((resolve) => {
      proc.once("exit", (code, signal) => {
        Object.assign(state, { exitCode: code, signal, exited: true });
        resolve();
      });
      proc.once("error", (err) => {
        Object.assign(state, { exitCode: -1, exited: true, error: err });
        resolve();
      });
    });
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline && !state.exited) {
      if (await canConnect(port)) return state;
      await sleep(20);
    }
    if (!state.exited) {
      proc.kill("SIGKILL");
      throw new Error(`${name} did not accept connections on port ${port} within 10 s (log: ${logPath})`);
    }
    console.log(`# ${name} exited during start-up (code ${state.exitCode}); retrying on another port`);
  }
  throw new Error(`${name} could not be started`);
}

// SIGTERM, then SIGKILL after a bound. tern must exit 0; nats-server exits 1
// on SIGTERM by design.
async function stopServer(name, state, expectedCode) {
  if (!state.exited) state.proc.kill("SIGTERM");
  const timer = setTimeout(() => state.proc.kill("SIGKILL"), 5000);
  await state.exitPromise;
  clearTimeout(timer);
  if (state.exitCode !== expectedCode) {
    console.log(`not ok - ${name} exit on SIGTERM: code ${state.exitCode} signal ${state.signal}, want ${expectedCode}`);
    return false;
  }
  console.log(`ok - ${name} exit on SIGTERM (code ${state.exitCode})`);
  return true;
}

function runScenario(name, url) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(here, "scenario.mjs"), url], { stdio: ["ignore", "pipe", "pipe"] });
    const prefix = (chunk) =>
      chunk
        .toString()
        .split("\n")
        .filter((l) => l.length > 0)
        .forEach((l) => console.log(`[${name}] ${l}`));
    child.stdout.on("data", prefix);
    child.stderr.on("data", prefix);
    const timer = setTimeout(() => child.kill("SIGKILL"), 180000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

const args = parseArgs(process.argv.slice(2));
const targets = [
  // tern's WebSocket and MQTT listeners are on (8080, 1883, 8083) by default: keep parallel runs off them.
  { name: "tern-server", binary: args.tern, expectedCode: 0, key: "tern",
    args: ["--websocket.port", "0", "--mqtt.port", "0", "--mqtt.websocket.port", "0"] },
  { name: "nats-server", binary: args.nats || which("nats-server") || "/usr/bin/nats-server", expectedCode: 1, key: "nats" },
].filter((t) => !args.only || t.key === args.only);

const logDir = mkdtempSync(path.join(os.tmpdir(), "tern-interop-"));
let allOk = true;
for (const t of targets) {
  if (!t.binary || !existsSync(t.binary)) {
    console.log(`not ok - ${t.name}: binary not found ('${t.binary}'); pass --${t.key} PATH`);
    allOk = false;
    continue;
  }
  console.log(`# ${t.name}: ${t.binary}`);
  let state;
  try {
    state = await startServer(t.name, t.binary, logDir, t.args || []);
  } catch (err) {
    console.log(`not ok - ${t.name} start: ${err.message}`);
    allOk = false;
    continue;
  }
  const ok = await runScenario(t.name, `nats://127.0.0.1:${state.port}`);
  const stoppedOk = await stopServer(t.name, state, t.expectedCode);
  if (!ok || !stoppedOk) {
    allOk = false;
    console.log(`# ${t.name} log: ${state.logPath}`);
  }
  console.log(`# ${t.name}: ${ok && stoppedOk ? "PASS" : "FAIL"}`);
}
console.log(allOk ? "# interop: all servers passed" : "# interop: FAILED");
process.exit(allOk ? 0 : 1);
