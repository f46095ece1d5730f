// Starts tern-server and nats-server on free loopback ports, runs
// scenario.mjs against each over each asked-for transport (tcp: nats.js;
// tls: nats.js with tls.caFile; ws: nats.ws), stops them, and fails if any
// run fails. nats-server is the reference: a check that fails there is a bad
// check. A tern transport whose flags have not landed is skipped, saying so.
//
// Usage: node run.mjs [--tern PATH] [--nats PATH] [--only tern|nats] [--transports tcp,tls,ws]
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { flavors, makeCerts, startServer, stopServer, unsupported } from "./servers.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const out = { tern: "", nats: "", only: "", transports: "tcp" };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    const name = key.replace(/^--/, "");
    if (!(name in out) || value === undefined) {
      console.error(`unknown argument ${key}`);
      process.exit(2);
    }
    out[name] = value;
  }
  return out;
}

function runScenario(label, url, ca) {
  return new Promise((resolve) => {
    const args = [path.join(here, "scenario.mjs"), url, ...(ca ? ["--ca", ca] : [])];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    const prefix = (chunk) =>
      chunk
        .toString()
        .split("\n")
        .filter((l) => l.length > 0)
        .forEach((l) => console.log(`[${label}] ${l}`));
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
const transports = args.transports.split(",").filter(Boolean);
const logDir = mkdtempSync(path.join(os.tmpdir(), "tern-interop-"));
const certs = transports.includes("tls") ? makeCerts(logDir) : null;
let allOk = true;
let ran = 0;
for (const transport of transports) {
  for (const flavor of flavors(args)) {
    const label = `${flavor.name} ${transport}`;
    if (!flavor.binary) {
      console.log(`not ok - ${label}: binary not found; pass --${flavor.key} PATH`);
      allOk = false;
      continue;
    }
    const why = unsupported(flavor, transport);
    if (why) {
      console.log(`ok - ${label} # SKIP ${why}`);
      continue;
    }
    let state;
    try {
      state = await startServer(flavor, transport, { logDir, certs });
    } catch (err) {
      console.log(`not ok - ${label} start: ${err.message}`);
      allOk = false;
      continue;
    }
    console.log(`# ${label}: ${state.url}`);
    const ok = await runScenario(label, state.url, transport === "tls" ? certs.ca : "");
    const stoppedOk = await stopServer(flavor, state);
    ran++;
    if (!ok || !stoppedOk) {
      allOk = false;
      console.log(`# ${label} log: ${state.logPath}`);
    }
    console.log(`# ${label}: ${ok && stoppedOk ? "PASS" : "FAIL"}`);
  }
}
console.log(allOk ? `# interop: all ${ran} server runs passed` : "# interop: FAILED");
process.exit(allOk ? 0 : 1);
