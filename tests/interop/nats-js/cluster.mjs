// nats.js against a 3-node cluster: tern-server, then nats-server as the
// reference. Publisher and subscriber on different nodes, request/reply
// across nodes, and failover: a client given only node 3 learns the other
// nodes from INFO (connect_urls) and moves to one of them when node 3 is
// killed with SIGKILL, where its subscription works again.
//
// Usage: node cluster.mjs [--tern PATH] [--nats PATH] [--only tern|nats]
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { connect, StringCodec } from "nats";

const sc = StringCodec();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const overall = setTimeout(() => {
  console.log("not ok - whole cluster scenario exceeded its time bound");
  process.exit(3);
}, 150000);

function args() {
  const out = { tern: process.env.TERN_SERVER_BIN || "", nats: process.env.NATS_SERVER_BIN || "/usr/sbin/nats-server", only: "" };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, "")] = argv[i + 1];
  return out;
}

function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    sock.once("connect", () => (sock.destroy(), resolve(true)));
    sock.once("error", () => resolve(false));
  });
}

async function startNode(binary, name, port, routePort, seeds, extra, logDir) {
  const log = createWriteStream(path.join(logDir, `${path.basename(binary)}-${name}.log`));
  const argv = ["-a", "127.0.0.1", "-p", String(port), "-n", name, "--cluster", `nats://127.0.0.1:${routePort}`,
                "--cluster_name", "js", "--routes", seeds, ...extra];
  const proc = spawn(binary, argv, { stdio: ["ignore", "pipe", "pipe"] });
  proc.stdout.pipe(log);
  proc.stderr.pipe(log);
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    if (await canConnect(port)) return { proc, port, exited };
    await sleep(20);
  }
  throw new Error(`${name} did not start`);
}

async function check(name, fn, results) {
  try {
    await Promise.race([fn(), sleep(20000).then(() => { throw new Error("timed out"); })]);
    console.log(`ok - ${name}`);
    results.push(true);
  } catch (err) {
    console.log(`not ok - ${name}: ${err.message}`);
    results.push(false);
  }
}

// Until the client's INFO names the other two nodes (INFO updates follow
// as routes come up).
async function meshed(nc, what) {
  const urls = () => (nc.info && nc.info.connect_urls ? nc.info.connect_urls.length : 0);
  for (const start = Date.now(); urls() < 2 && Date.now() - start < 10000;) await sleep(20);
  if (urls() < 2) throw new Error(`${what}: INFO had ${urls()} connect_urls after 10 s`);
}

// Publishes until the subscription has one (interest needs a moment to
// cross routes), then checks the rest arrive in order.
async function expectFlow(pub, sub, subject) {
  const it = sub[Symbol.asyncIterator]();
  let first;
  for (let i = 0; i < 200 && !first; i++) {
    pub.publish(subject, sc.encode("probe"));
    first = await Promise.race([it.next(), sleep(25).then(() => undefined)]);
  }
  if (!first) throw new Error(`no message on ${subject} crossed`);
  await pub.flush();
  pub.publish(subject, sc.encode("end"));
  for (;;) {
    const m = await it.next();
    if (sc.decode(m.value.data) === "end") break;
  }
  for (let i = 0; i < 100; i++) pub.publish(subject, sc.encode(String(i)));
  for (let i = 0; i < 100; i++) {
    const m = await it.next();
    if (sc.decode(m.value.data) !== String(i)) throw new Error(`message ${i} out of order`);
  }
}

async function scenario(key, binary, logDir) {
  const ports = [await freePort(), await freePort(), await freePort()];
  const routes = [await freePort(), await freePort(), await freePort()];
  const seeds = routes.map((p) => `nats://127.0.0.1:${p}`).join(",");
  const extra = key === "tern" ? ["--websocket.port", "0", "--mqtt.port", "0", "--mqtt.websocket.port", "0"] : [];
  const nodes = [];
  for (let i = 0; i < 3; i++) nodes.push(await startNode(binary, `n${i + 1}`, ports[i], routes[i], seeds, extra, logDir));
  const results = [];
  const url = (i) => `nats://127.0.0.1:${ports[i]}`;
  const c1 = await connect({ servers: url(0) });
  const c2 = await connect({ servers: url(1) });
  // Both servers route with retries at start-up: the checks start once each
  // client's node knows the other two, and a moment after that, since
  // nats-server 2.9 drops both halves of a route the two ends dialled at
  // once, redials a second later, and a SUB made during that dance can miss
  // its peer (seen: nothing crossed for 5 s on a route that was up).
  await check(`${key}: the nodes mesh`, async () => {
    await meshed(c1, "node 1");
    await meshed(c2, "node 2");
    await sleep(1500);
  }, results);
  await check(`${key}: publisher on node 1, subscriber on node 2`, async () => {
    const sub = c2.subscribe("js.cross");
    await c2.flush();
    await expectFlow(c1, sub, "js.cross");
    sub.unsubscribe();
  }, results);
  await check(`${key}: request on node 1, responder on node 2`, async () => {
    const sub = c2.subscribe("js.svc", { callback: (err, m) => m.respond(sc.encode("re:" + sc.decode(m.data))) });
    await c2.flush();
    let reply;
    for (let i = 0; i < 100 && !reply; i++) {
      try {
        reply = await c1.request("js.svc", sc.encode("hi"), { timeout: 500 });
      } catch (err) {
        await sleep(20);  // no responders yet: the interest is still crossing
      }
    }
    if (!reply || sc.decode(reply.data) !== "re:hi") throw new Error("no reply across nodes");
    sub.unsubscribe();
  }, results);
  await check(`${key}: a client of a killed node fails over using connect_urls`, async () => {
    const c3 = await connect({ servers: url(2), reconnectTimeWait: 100, maxReconnectAttempts: -1 });
    await meshed(c3, "node 3");
    const sub = c3.subscribe("js.after");
    await c3.flush();
    let reconnected = false;
    (async () => {
      for await (const s of c3.status()) if (s.type === "reconnect") reconnected = true;
    })();
    const killed = Date.now();
    nodes[2].proc.kill("SIGKILL");
    await nodes[2].exited;
    while (!reconnected) {
      if (Date.now() - killed > 10000) throw new Error("nats.js did not reconnect");
      await sleep(10);
    }
    console.log(`# ${key}: nats.js reconnected ${Date.now() - killed} ms after kill -9`);
    await expectFlow(c1, sub, "js.after");
    await c3.close();
  }, results);
  await c1.close();
  await c2.close();
  for (const n of nodes) n.proc.kill("SIGTERM");
  await Promise.all(nodes.map((n) => n.exited));
  return results.every((r) => r);
}

const a = args();
const logDir = mkdtempSync(path.join(os.tmpdir(), "tern-js-cluster-"));
let ok = true;
for (const [key, binary] of [["tern", a.tern], ["nats", a.nats]]) {
  if (a.only && a.only !== key) continue;
  if (!binary || !existsSync(binary)) {
    console.log(`not ok - ${key}: binary not found ('${binary}')`);
    ok = false;
    continue;
  }
  ok = (await scenario(key, binary, logDir)) && ok;
}
console.log(ok ? "# cluster interop: all servers passed" : `# cluster interop: FAILED (logs in ${logDir})`);
clearTimeout(overall);
process.exit(ok ? 0 : 1);
