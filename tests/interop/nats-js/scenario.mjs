// Drives one server with a real nats.js-family client and checks what an
// application would rely on. The client library is a parameter: `nats`
// (TCP, TLS) and `nats.ws` (WebSocket) share one API, so the same checks
// run over every transport.
//
// As a module: runScenario(lib, connectOptions) -> { passed, failed }.
// As a program: node scenario.mjs nats://|tls://|ws://127.0.0.1:PORT [--ca FILE]
// Prints one line per check ("ok - name" / "not ok - name: why") and exits
// non-zero if any check failed. Every check has its own time bound, and the
// whole run has one, so a silent server fails instead of hanging.
import { pathToFileURL } from "node:url";

const CHECK_MS = 15000;

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

// Collects `n` messages from a subscription (or fewer if it ends first).
async function take(sub, n) {
  const out = [];
  if (n === 0) return out;
  for await (const m of sub) {
    out.push(m);
    if (out.length >= n) break;
  }
  return out;
}

// The library for a URL: nats.ws for ws:// and wss:// (with a WebSocket
// global from the `ws` package, which Node 20 lacks), nats otherwise.
export async function libraryFor(url) {
  if (/^wss?:/.test(url)) {
    if (typeof globalThis.WebSocket === "undefined") globalThis.WebSocket = (await import("ws")).WebSocket;
    return import("nats.ws");
  }
  return import("nats");
}

export async function runScenario(lib, connectOptions) {
  const { connect, createInbox, Empty, ErrorCode, headers, StringCodec } = lib;
  const sc = StringCodec();
  const results = [];

  async function check(name, fn) {
    const connections = [];
    const open = async (opts = {}) => {
      const nc = await connect({ reconnect: false, ...connectOptions, ...opts });
      connections.push(nc);
      return nc;
    };
    try {
      await withTimeout(fn(open), CHECK_MS, name);
      console.log(`ok - ${name}`);
      results.push(true);
    } catch (err) {
      console.log(`not ok - ${name}: ${err && err.stack ? err.stack.split("\n").slice(0, 3).join(" | ") : err}`);
      results.push(false);
    } finally {
      for (const nc of connections) {
        if (!nc.isClosed()) await nc.close().catch(() => {});
      }
    }
  }

  await check("connect and read INFO", async (open) => {
    const nc = await open({ name: "tern-interop" });
    const info = nc.info;
    assert(info, "no server info");
    assert(info.proto === 1, `proto ${info.proto}`);
    assert(info.headers === true, "headers not advertised");
    assert(info.max_payload === 1024 * 1024, `max_payload ${info.max_payload}`);
    assert(typeof info.server_id === "string" && info.server_id.length > 0, "server_id");
    const rtt = await nc.rtt();
    assert(rtt >= 0, "rtt");
  });

  await check("publish and subscribe", async (open) => {
    const nc = await open();
    const sub = nc.subscribe("greet.joe");
    const got = take(sub, 3);
    for (const w of ["a", "b", "c"]) nc.publish("greet.joe", sc.encode(w));
    const msgs = await got;
    assert(msgs.map((m) => sc.decode(m.data)).join("") === "abc", "payloads out of order or missing");
  });

  await check("pub/sub across connections", async (open) => {
    const sub_nc = await open();
    const pub_nc = await open();
    const sub = sub_nc.subscribe("cross");
    await sub_nc.flush();
    const got = take(sub, 100);
    for (let i = 0; i < 100; i++) pub_nc.publish("cross", sc.encode(String(i)));
    const msgs = await got;
    msgs.forEach((m, i) => assert(sc.decode(m.data) === String(i), `message ${i} is ${sc.decode(m.data)}`));
  });

  await check("wildcards * and >", async (open) => {
    const nc = await open();
    const star = nc.subscribe("w.*");
    const full = nc.subscribe("w.>");
    await nc.flush();
    const gotStar = take(star, 1);
    const gotFull = take(full, 2);
    nc.publish("w.a.b", sc.encode("deep"));
    nc.publish("w.a", sc.encode("shallow"));
    const s = await gotStar;
    const f = await gotFull;
    assert(s[0].subject === "w.a", `* got ${s[0].subject}`);
    assert(f.map((m) => m.subject).join(",") === "w.a.b,w.a", `> got ${f.map((m) => m.subject)}`);
  });

  await check("queue group delivers each message once", async (open) => {
    const a = await open();
    const b = await open();
    const pub = await open();
    let countA = 0;
    let countB = 0;
    a.subscribe("jobs", { queue: "workers", callback: () => countA++ });
    b.subscribe("jobs", { queue: "workers", callback: () => countB++ });
    await a.flush();
    await b.flush();
    for (let i = 0; i < 1000; i++) pub.publish("jobs", sc.encode(String(i)));
    await pub.flush();
    const deadline = Date.now() + 5000;
    while (countA + countB < 1000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await a.flush();
    await b.flush();
    assert(countA + countB === 1000, `members got ${countA} + ${countB}`);
    assert(countA > 0 && countB > 0, `one member starved: ${countA} / ${countB}`);
  });

  await check("request/reply", async (open) => {
    const responder = await open();
    const requester = await open();
    responder.subscribe("svc.upper", {
      callback: (err, m) => {
        if (!err) m.respond(sc.encode(sc.decode(m.data).toUpperCase()));
      },
    });
    await responder.flush();
    for (const word of ["one", "two", "three"]) {
      const reply = await requester.request("svc.upper", sc.encode(word), { timeout: 2000 });
      assert(sc.decode(reply.data) === word.toUpperCase(), `reply ${sc.decode(reply.data)}`);
    }
  });

  await check("no responders fails fast with 503", async (open) => {
    const nc = await open();
    const start = Date.now();
    try {
      await nc.request("nobody.home", Empty, { timeout: 5000 });
      throw new Error("request succeeded");
    } catch (err) {
      assert(err.code === ErrorCode.NoResponders, `error code ${err.code} (${err.message})`);
    }
    assert(Date.now() - start < 2000, `took ${Date.now() - start} ms, like a timeout`);
  });

  await check("headers", async (open) => {
    const nc = await open();
    const sub = nc.subscribe("hdr");
    await nc.flush();
    const got = take(sub, 1);
    const h = headers();
    h.append("X-Trace", "abc123");
    h.append("X-Multi", "1");
    h.append("X-Multi", "2");
    nc.publish("hdr", sc.encode("with headers"), { headers: h });
    const [m] = await got;
    assert(m.headers, "no headers on message");
    assert(m.headers.get("X-Trace") === "abc123", `X-Trace=${m.headers.get("X-Trace")}`);
    assert(m.headers.values("X-Multi").join(",") === "1,2", `X-Multi=${m.headers.values("X-Multi")}`);
    assert(sc.decode(m.data) === "with headers", "payload");
  });

  await check("auto-unsubscribe after max", async (open) => {
    const nc = await open();
    const sub = nc.subscribe("limited", { max: 3 });
    await nc.flush();
    for (let i = 0; i < 10; i++) nc.publish("limited", sc.encode(String(i)));
    const msgs = [];
    for await (const m of sub) msgs.push(sc.decode(m.data));  // ends after max
    assert(msgs.join(",") === "0,1,2", `got ${msgs}`);
    assert(sub.isClosed(), "subscription still open");
    // The server must have dropped it too: a fresh subscriber is the only receiver.
    const other = nc.subscribe("limited", { max: 1 });
    nc.publish("limited", sc.encode("late"));
    const [late] = await take(other, 1);
    assert(sc.decode(late.data) === "late", "late message");
  });

  await check("drain delivers in-flight messages then closes", async (open) => {
    const nc = await open();
    const pub = await open();
    let received = 0;
    nc.subscribe("drainme", { callback: () => received++ });
    await nc.flush();
    for (let i = 0; i < 500; i++) pub.publish("drainme", sc.encode(String(i)));
    await pub.flush();
    await nc.drain();
    assert(nc.isClosed(), "connection not closed after drain");
    assert(received === 500, `received ${received} of 500`);
  });

  await check("10,000 subscriptions on one connection all receive", async (open) => {
    const nc = await open();
    const pub = await open();
    const N = 10000;
    const seen = new Uint8Array(N);
    let count = 0;
    for (let i = 0; i < N; i++) {
      nc.subscribe(`many.${i}`, {
        callback: () => {
          if (!seen[i]) count++;
          seen[i]++;
        },
      });
    }
    await nc.flush();
    for (let i = 0; i < N; i++) pub.publish(`many.${i}`, sc.encode(String(i)));
    await pub.flush();
    const deadline = Date.now() + 10000;
    while (count < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert(count === N, `${count} of ${N} subscriptions received`);
    assert(seen.every((v) => v === 1), "a subscription received more than once");
  });

  await check("payload of exactly max_payload (1 MiB) passes", async (open) => {
    const nc = await open();
    const max = nc.info.max_payload;
    assert(max === 1024 * 1024, `max_payload ${max}`);
    const sub = nc.subscribe("big");
    await nc.flush();
    const got = take(sub, 1);
    const data = new Uint8Array(max);
    for (let i = 0; i < max; i++) data[i] = i % 251;
    nc.publish("big", data);
    const [m] = await got;
    assert(m.data.length === max, `received ${m.data.length} bytes`);
    for (let i = 0; i < max; i += 4099) assert(m.data[i] === i % 251, `byte ${i} differs`);
  });

  await check("payload over max_payload is refused by the client", async (open) => {
    const nc = await open();
    const max = nc.info.max_payload;
    try {
      nc.publish("big", new Uint8Array(max + 1));
      throw new Error("publish of max_payload + 1 bytes was accepted");
    } catch (err) {
      assert(err.code === ErrorCode.MaxPayloadExceeded, `error code ${err.code} (${err.message})`);
    }
    // The connection is unharmed.
    await nc.flush();
    assert(!nc.isClosed(), "connection closed");
  });

  await check("inbox subjects and unsubscribe", async (open) => {
    const nc = await open();
    const inbox = createInbox();
    const sub = nc.subscribe(inbox);
    await nc.flush();
    nc.publish(inbox, sc.encode("x"));
    const [m] = await take(sub, 1);
    assert(m.subject === inbox, "inbox subject");
    sub.unsubscribe();
    const probe = nc.subscribe(inbox, { max: 1 });
    nc.publish(inbox, sc.encode("y"));
    const [p] = await take(probe, 1);
    assert(sc.decode(p.data) === "y", "probe");
    assert(sub.getReceived() === 1, `unsubscribed sub got ${sub.getReceived()}`);
  });

  const failed = results.filter((r) => !r).length;
  return { passed: results.length - failed, failed };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const url = process.argv[2];
  if (!url) {
    console.error("usage: node scenario.mjs nats://|tls://|ws://host:port [--ca FILE]");
    process.exit(2);
  }
  const ca = process.argv[3] === "--ca" ? process.argv[4] : "";
  const overall = setTimeout(() => {
    console.log(`not ok - whole scenario exceeded its time bound`);
    process.exit(3);
  }, 120000);
  const options = { servers: url };
  if (ca) options.tls = { caFile: ca };
  const { passed, failed } = await runScenario(await libraryFor(url), options);
  clearTimeout(overall);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}
