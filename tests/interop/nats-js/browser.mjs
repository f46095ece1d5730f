// A real browser on the WebSocket listener: headless Chromium (Debian's,
// driven by playwright-core) loads browser/page.html from a tiny local HTTP
// server; the page connects with nats.ws over ws://, and a nats.js client
// over TCP exchanges messages with it both ways (a greeting from the page,
// a request from TCP that the page answers). Run against tern-server and
// nats-server, the reference. Each run leaves a screenshot in --artifacts.
//
// Usage: node browser.mjs [--tern PATH] [--nats PATH] [--only tern|nats] [--artifacts DIR]
// Exits 77 when no Chromium binary is there to drive.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { connect, StringCodec } from "nats";
import { chromium } from "playwright-core";

import { flavors, startServer, stopServer, unsupported } from "./servers.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";
// No network beyond loopback, no state carried between runs.
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

function parseArgs(argv) {
  const out = { tern: "", nats: "", only: "", artifacts: path.join(os.tmpdir(), "tern-browser-artifacts") };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, "");
    if (!(name in out) || argv[i + 1] === undefined) {
      console.error(`unknown argument ${argv[i]}`);
      process.exit(2);
    }
    out[name] = argv[i + 1];
  }
  return out;
}

// Serves the page and the nats.ws bundle, nothing else.
function startHttp() {
  const files = {
    "/": { file: path.join(here, "browser", "page.html"), type: "text/html; charset=utf-8" },
    "/nats.js": { file: path.join(here, "node_modules", "nats.ws", "esm", "nats.js"), type: "text/javascript" },
  };
  const server = http.createServer((req, res) => {
    const entry = files[new URL(req.url, "http://x").pathname];
    if (!entry) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": entry.type, "cache-control": "no-store" });
    res.end(readFileSync(entry.file));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function runOne(flavor, { httpPort, context, logDir, artifacts }) {
  const sc = StringCodec();
  const state = await startServer(flavor, "ws", { logDir });
  let tcp;
  const page = await context.newPage();
  const consoleLines = [];
  page.on("console", (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => consoleLines.push(`pageerror: ${e.message}`));
  try {
    tcp = await connect({ servers: state.tcpUrl, reconnect: false });
    const hello = tcp.subscribe("browser.hello", { max: 1 });
    await tcp.flush();

    const pageUrl = `http://127.0.0.1:${httpPort}/?server=${flavor.name}&ws=${encodeURIComponent(state.url)}`;
    await page.goto(pageUrl, { timeout: 15000 });
    await page.waitForFunction(() => window.natsState && (window.natsState.ready || window.natsState.error), null, {
      timeout: 15000,
    });
    const pageState = await page.evaluate(() => window.natsState);
    if (pageState.error) throw new Error(`page could not connect: ${pageState.error}`);
    console.log(`ok - ${flavor.name}: the page connected over ${state.url} and subscribed`);

    for await (const m of hello) {
      if (sc.decode(m.data) !== "hello from the browser") throw new Error(`greeting was '${sc.decode(m.data)}'`);
    }
    console.log(`ok - ${flavor.name}: the page's greeting reached a TCP subscriber`);

    const reply = await tcp.request("browser.to", sc.encode("ping from tcp"), { timeout: 5000 });
    if (sc.decode(reply.data) !== "echo: ping from tcp") throw new Error(`reply was '${sc.decode(reply.data)}'`);
    console.log(`ok - ${flavor.name}: a TCP request was answered by the page`);

    await page.waitForFunction(() => window.natsState.received.length > 0, null, { timeout: 5000 });
    const shot = path.join(artifacts, `browser-${flavor.key}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`# screenshot: ${shot}`);
    await page.evaluate(() => window.nc.close());
    return true;
  } catch (err) {
    console.log(`not ok - ${flavor.name}: ${err.message}`);
    console.log(`# page console:\n${consoleLines.map((l) => `#   ${l}`).join("\n")}`);
    console.log(`# server log: ${state.logPath}`);
    return false;
  } finally {
    await page.close().catch(() => {});
    if (tcp) await tcp.close().catch(() => {});
    if (!(await stopServer(flavor, state))) return false;
  }
}

const args = parseArgs(process.argv.slice(2));
if (!existsSync(CHROMIUM)) {
  console.log(`SKIP: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_BIN)`);
  process.exit(77);
}
mkdirSync(args.artifacts, { recursive: true });
const logDir = mkdtempSync(path.join(os.tmpdir(), "tern-browser-"));
const userDataDir = mkdtempSync(path.join(os.tmpdir(), "tern-chromium-profile-"));
const overall = setTimeout(() => {
  console.log("not ok - the browser test exceeded its time bound");
  process.exit(3);
}, 150000);

const httpServer = await startHttp();
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: CHROMIUM,
  headless: true,
  args: CHROMIUM_FLAGS,
  viewport: { width: 900, height: 500 },
});
let allOk = true;
for (const flavor of flavors(args)) {
  if (!flavor.binary) {
    console.log(`not ok - ${flavor.name}: binary not found; pass --${flavor.key} PATH`);
    allOk = false;
    continue;
  }
  const why = unsupported(flavor, "ws");
  if (why) {
    console.log(`ok - ${flavor.name} # SKIP ${why}`);
    continue;
  }
  const ok = await runOne(flavor, { httpPort: httpServer.address().port, context, logDir, artifacts: args.artifacts });
  allOk = allOk && ok;
}
await context.close();
httpServer.close();
rmSync(userDataDir, { recursive: true, force: true });
clearTimeout(overall);
console.log(allOk ? "# browser: all servers passed" : "# browser: FAILED");
process.exit(allOk ? 0 : 1);
