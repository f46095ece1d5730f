// Starting tern-server and nats-server for the interop scenarios, with the
// listeners a transport needs: plain TCP, TLS on the client listener, or a
// WebSocket listener (ws://) on a second port. tern takes flags (nats-server's
// spellings: --tls --tlscert ...; --websocket.port); nats-server takes a
// config file. Certificates are made here with openssl, never committed.
import { execFileSync, spawn } from "node:child_process";
import { createWriteStream, existsSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function which(name) {
  for (const dir of (process.env.PATH || "").split(":")) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return "";
}

export function freePort() {
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

// Whether `tern-server --help` lists the flag: how a scenario knows the
// option has landed, and skips (saying so) until then.
const helpCache = new Map();
export function ternHasFlag(binary, flag) {
  if (!helpCache.has(binary)) {
    let text = "";
    try {
      text = execFileSync(binary, ["--help"], { encoding: "utf8" });
    } catch (err) {
      text = String(err.stdout || "");
    }
    helpCache.set(binary, text);
  }
  return new RegExp(`${flag.replace(/\./g, "\\.")}(?![\\w.-])`).test(helpCache.get(binary));
}

// A CA and a server certificate for 127.0.0.1/localhost signed by it (P-256:
// RSA key generation is slow for nothing). Returns { ca, cert, key }.
export function makeCerts(dir) {
  const run = (...args) => execFileSync("openssl", args, { stdio: "ignore" });
  const p = (name) => path.join(dir, name);
  const key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  run("req", "-x509", ...key, "-days", "2", "-subj", "/CN=tern-interop-ca", "-keyout", p("ca.key"), "-out", p("ca.pem"));
  run("req", ...key, "-subj", "/CN=localhost", "-keyout", p("server.key"), "-out", p("server.csr"));
  writeFileSync(p("server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n");
  run("x509", "-req", "-days", "2", "-in", p("server.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"),
    "-CAcreateserial", "-extfile", p("server.ext"), "-out", p("server.pem"));
  return { ca: p("ca.pem"), cert: p("server.pem"), key: p("server.key") };
}

// Why `flavor` cannot serve `transport` yet, or "".
export function unsupported(flavor, transport) {
  if (flavor.key !== "tern") return "";
  if (transport === "tls" && !ternHasFlag(flavor.binary, "--tlscert")) {
    return "tern-server --help does not list --tlscert yet (config flags not in main)";
  }
  if (transport === "ws" && !ternHasFlag(flavor.binary, "--websocket.port")) {
    return "tern-server --help does not list --websocket.port yet (config flags not in main)";
  }
  return "";
}

function argsFor(flavor, transport, ports, certs, logDir) {
  const args = ["-a", "127.0.0.1", "-p", String(ports.client)];
  if (flavor.key === "tern") {
    if (transport === "tls") args.push("--tls", "--tlscert", certs.cert, "--tlskey", certs.key);
    if (transport === "ws") args.push("--websocket.port", String(ports.websocket));
    // The default WebSocket port (8080) would collide between tests run in parallel.
    else if (ternHasFlag(flavor.binary, "--websocket.port")) args.push("--websocket.port", "0");
    // MQTT (1883, 8083) is on by default too; parallel runs must not share it.
    if (ternHasFlag(flavor.binary, "--mqtt.port")) args.push("--mqtt.port", "0", "--mqtt.websocket.port", "0");
    return args;
  }
  let conf = "";
  if (transport === "tls") conf = `tls {\n  cert_file: "${certs.cert}"\n  key_file: "${certs.key}"\n}\n`;
  if (transport === "ws") conf = `websocket {\n  host: "127.0.0.1"\n  port: ${ports.websocket}\n  no_tls: true\n}\n`;
  if (conf) {
    const file = path.join(logDir, `nats-${transport}-${ports.client}.conf`);
    writeFileSync(file, conf);
    args.push("-c", file);
  }
  return args;
}

// Starts the flavour's binary for `transport` on free ports; retries on new
// ports if it dies at start-up (someone took a port in between). Returns
// { proc, ports, logPath, exited, exitPromise, url }. `extraArgs` go after
// the listener flags (an auth config file, say); `tag` names the log.
export async function startServer(flavor, transport, { logDir, certs, extraArgs = [], tag = "" }) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const ports = { client: await freePort(), websocket: transport === "ws" ? await freePort() : 0 };
    if (ports.websocket === ports.client) continue;
    const logPath = path.join(logDir, `${flavor.key}-${transport}${tag}-${attempt}.log`);
    const log = createWriteStream(logPath);
    const args = [...argsFor(flavor, transport, ports, certs, logDir), ...extraArgs];
    log.write(`#### exec ${flavor.binary} ${args.join(" ")}\n`);
    const proc = spawn(flavor.binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    proc.stdout.pipe(log);
    proc.stderr.pipe(log);
    const state = { proc, ports, logPath, exitCode: null, signal: null, exited: false };
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
    state.url = {
      tcp: `nats://127.0.0.1:${ports.client}`,
      tls: `tls://127.0.0.1:${ports.client}`,
      ws: `ws://127.0.0.1:${ports.websocket}`,
    }[transport];
    state.tcpUrl = `nats://127.0.0.1:${ports.client}`;
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline && !state.exited) {
      if ((await canConnect(ports.client)) && (!ports.websocket || (await canConnect(ports.websocket)))) return state;
      await sleep(20);
    }
    if (!state.exited) {
      proc.kill("SIGKILL");
      throw new Error(`${flavor.name} did not listen on ${JSON.stringify(ports)} within 10 s (log: ${logPath})`);
    }
    console.log(`# ${flavor.name} exited during start-up (code ${state.exitCode}); retrying on other ports`);
  }
  throw new Error(`${flavor.name} could not be started (logs in ${logDir})`);
}

// SIGTERM, then SIGKILL after a bound. tern must exit 0; nats-server 2.9
// races its signal handler's exit(1) against main returning 0.
export async function stopServer(flavor, state) {
  if (!state.exited) state.proc.kill("SIGTERM");
  const timer = setTimeout(() => state.proc.kill("SIGKILL"), 5000);
  await state.exitPromise;
  clearTimeout(timer);
  if (!flavor.cleanExits.includes(state.exitCode)) {
    console.log(`not ok - ${flavor.name} exit on SIGTERM: code ${state.exitCode} signal ${state.signal}, ` +
      `want ${flavor.cleanExits.join(" or ")}`);
    return false;
  }
  console.log(`ok - ${flavor.name} exit on SIGTERM (code ${state.exitCode})`);
  return true;
}

// The two servers, tern first. Paths: --tern/--nats, else TERN_SERVER_BIN /
// NATS_SERVER_BIN, else nats-server on PATH.
export function flavors(args) {
  return [
    { key: "tern", name: "tern-server", binary: args.tern || process.env.TERN_SERVER_BIN || "", cleanExits: [0] },
    {
      key: "nats",
      name: "nats-server",
      binary: args.nats || process.env.NATS_SERVER_BIN || which("nats-server") || "/usr/bin/nats-server",
      cleanExits: [0, 1],
    },
  ].filter((f) => !args.only || f.key === args.only);
}
