// The web dashboard (web/dashboard, served by tern-server at / on the
// monitoring port) in headless Chromium, against a running server with a
// TCP client (nats.js) beside it: every page renders with the server's
// data, and the page's live client exchanges messages with the TCP client
// over the WebSocket listener (subscribe, publish, request). Screenshots of
// each page go to --artifacts.
//
//   node dashboard.mjs --tern PATH [--artifacts DIR]
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, existsSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { connect, StringCodec } from "nats";

const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";
const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking"];
const sc = StringCodec();

function parseArgs(argv) {
  const out = { tern: "", artifacts: path.join(os.tmpdir(), "tern-dashboard-artifacts") };
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

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function until(what, fn, bound = 10000) {
  const deadline = Date.now() + bound;
  let last;
  while (Date.now() < deadline) {
    try {
      if ((last = await fn())) return last;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${bound} ms (last: ${last})`);
}

const args = parseArgs(process.argv.slice(2));
if (!existsSync(CHROMIUM)) {
  console.log(`SKIP: no Chromium at ${CHROMIUM}`);
  process.exit(77);
}
mkdirSync(args.artifacts, { recursive: true });
const overall = setTimeout(() => {
  console.log("not ok - the dashboard test exceeded its time bound");
  process.exit(3);
}, 120000);

const [port, httpPort, wsPort] = [await freePort(), await freePort(), await freePort()];
const server = spawn(args.tern, ["-a", "127.0.0.1", "-p", String(port), "-m", String(httpPort),
  "--websocket.port", String(wsPort)], { stdio: ["ignore", "ignore", "inherit"] });
const base = `http://127.0.0.1:${httpPort}`;
const userDataDir = mkdtempSync(path.join(os.tmpdir(), "tern-dashboard-profile-"));
let context, nc, ok = false;
try {
  await until("the server's /healthz", async () => (await fetch(`${base}/healthz`)).ok);
  nc = await until("a TCP connection", () => connect({ servers: `127.0.0.1:${port}`, name: "tcp-peer" }));
  const back = nc.subscribe("dash.back", { max: 1 });
  const service = nc.subscribe("dash.svc");
  (async () => {
    for await (const m of service) m.respond(sc.encode(`pong to ${sc.decode(m.data)}`));
  })();
  await nc.flush();

  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1100, height: 700 },
  });
  const page = await context.newPage();
  const consoleLines = [];
  page.on("console", (m) => consoleLines.push(m.text()));
  page.on("pageerror", (e) => consoleLines.push(`pageerror: ${e.message}`));
  const shot = (name) => page.screenshot({ path: path.join(args.artifacts, `dashboard-${name}.png`), fullPage: true });

  await page.goto(`${base}/`);
  await page.waitForFunction(() => document.getElementById("v-connections").textContent === "1", null, { timeout: 10000 });
  await page.waitForFunction(() => document.getElementById("status").textContent === "live", null, { timeout: 10000 });
  await shot("overview");
  console.log("ok - overview shows the TCP client's connection");

  await page.click('nav a[data-page="connections"]');
  await page.waitForSelector("#conn-table tbody tr >> text=tcp-peer", { timeout: 10000 });
  await page.click('#conn-table th[data-sort="msgs_from"]');
  await shot("connections");
  console.log("ok - connections table lists tcp-peer");

  await page.click('nav a[data-page="subscriptions"]');
  await page.waitForSelector("#sub-table tbody tr >> text=dash.back", { timeout: 10000 });
  await page.fill("#sub-test", "dash.svc");
  await page.waitForFunction(() => document.getElementById("sub-count").textContent.startsWith("1 subscriptions"),
    null, { timeout: 10000 });
  await shot("subscriptions");
  console.log("ok - subscriptions, and the test-a-subject filter");

  await page.click('nav a[data-page="events"]');
  await page.waitForSelector("#event-table tbody tr >> text=tcp-peer", { timeout: 10000 });
  await shot("events");
  console.log("ok - event log shows tcp-peer's connect");

  await page.click('nav a[data-page="client"]');
  await page.fill("#sub-subject", "dash.test");
  await page.click("#sub-button");
  await until("the browser's subscription", async () =>
    (await (await fetch(`${base}/subsz?subs=1&test=dash.test`)).json()).total === 1);
  nc.publish("dash.test", sc.encode("hello-from-tcp"));
  await page.waitForSelector("#received li >> text=dash.test: hello-from-tcp", { timeout: 10000 });
  console.log("ok - a TCP publish reaches the browser's subscription");

  await page.fill("#pub-subject", "dash.back");
  await page.fill("#pub-payload", "hello-from-browser");
  await page.click("#pub-button");
  const got = await Promise.race([
    (async () => { for await (const m of back) return sc.decode(m.data); })(),
    new Promise((_, reject) => setTimeout(() => reject(new Error("no message from the browser")), 10000)),
  ]);
  if (got !== "hello-from-browser") throw new Error(`TCP client got ${got}`);
  console.log("ok - the browser's publish reaches the TCP subscriber");

  await page.fill("#pub-subject", "dash.svc");
  await page.fill("#pub-payload", "ping");
  await page.click("#req-button");
  await page.waitForSelector("#received li >> text=reply: pong to ping", { timeout: 10000 });
  await shot("client");
  console.log("ok - the browser's request gets the TCP service's reply");

  await page.click('nav a[data-page="overview"]');
  await page.waitForFunction(() => Number(document.getElementById("v-msgs").textContent.split(" / ")[0]) >= 3, null,
    { timeout: 10000 });
  await shot("overview-after");
  if (consoleLines.some((l) => l.startsWith("pageerror"))) throw new Error(consoleLines.join("\n"));
  ok = true;
  console.log(`# screenshots: ${args.artifacts}/dashboard-*.png`);
} catch (err) {
  console.log(`not ok - ${err.message}`);
} finally {
  if (nc) await nc.close().catch(() => {});
  if (context) await context.close().catch(() => {});
  server.kill("SIGTERM");
  await new Promise((r) => server.once("exit", r));
  rmSync(userDataDir, { recursive: true, force: true });
  clearTimeout(overall);
}
process.exit(ok ? 0 : 1);
