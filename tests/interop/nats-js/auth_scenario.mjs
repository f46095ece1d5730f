// nats.js against a secured server: user/password (plain and bcrypt), NKey
// seed, token, and permission violations. run.mjs starts each server with
// the same nats-server configuration file (or --auth for the token pass).
// Usage: node auth_scenario.mjs nats://127.0.0.1:PORT users|token
// NKEY_SEED (env): the seed of the NKey user the file lists.
import { connect, ErrorCode, nkeyAuthenticator, nkeys, StringCodec } from "nats";

const [url, mode] = process.argv.slice(2);
const sc = StringCodec();
const te = new TextEncoder();
const results = [];
const overall = setTimeout(() => {
  console.log("not ok - auth scenario exceeded its time bound");
  process.exit(3);
}, 60000);

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

async function check(name, fn) {
  try {
    await fn();
    console.log(`ok - ${name}`);
    results.push(true);
  } catch (err) {
    console.log(`not ok - ${name}: ${err && err.stack ? err.stack.split("\n").slice(0, 3).join(" | ") : err}`);
    results.push(false);
  }
}

const open = (opts) => connect({ servers: url, reconnect: false, timeout: 5000, ...opts });

async function refused(opts) {
  try {
    const nc = await open(opts);
    await nc.close();
  } catch (err) {
    assert(err.code === ErrorCode.AuthorizationViolation, `refused with ${err.code}: ${err.message}`);
    return;
  }
  throw new Error("connected with bad credentials");
}

// The first error status a connection reports, within 3 s: nats.js gives
// the error code as `data` and, for permissions, what was refused.
async function firstError(nc) {
  const timer = new Promise((_, reject) => setTimeout(() => reject(new Error("no error status")), 3000));
  const first = (async () => {
    for await (const s of nc.status()) {
      if (s.type === "error") return s;
    }
    throw new Error("status ended");
  })();
  return Promise.race([first, timer]);
}

if (mode === "users") {
  await check("user and plain password", async () => {
    const nc = await open({ user: "alice", pass: "alice-secret" });
    assert(nc.info.auth_required === true, "auth_required not in INFO");
    const sub = nc.subscribe("orders.new", { max: 1 });
    nc.publish("orders.new", sc.encode("hi"));
    for await (const m of sub) assert(sc.decode(m.data) === "hi", "payload");
    await nc.close();
  });
  await check("user and bcrypt password", async () => {
    const nc = await open({ user: "bob", pass: "bob-secret" });
    await nc.flush();
    await nc.close();
  });
  await check("wrong password is an authorization violation", () => refused({ user: "alice", pass: "nope" }));
  await check("unknown user is an authorization violation", () => refused({ user: "mallory", pass: "alice-secret" }));
  await check("no credentials is an authorization violation", () => refused({}));
  await check("NKey seed signs the nonce", async () => {
    const nc = await open({ authenticator: nkeyAuthenticator(te.encode(process.env.NKEY_SEED)) });
    assert(typeof nc.info.nonce === "string" && nc.info.nonce.length > 0, "no nonce in INFO");
    await nc.flush();
    await nc.close();
  });
  await check("an unknown NKey is refused", () =>
    refused({ authenticator: nkeyAuthenticator(nkeys.createUser().getSeed()) }));
  await check("publish violation is reported and the connection stays", async () => {
    const nc = await open({ user: "alice", pass: "alice-secret" });
    const err = firstError(nc);
    nc.publish("billing", sc.encode("x"));
    const e = await err;
    assert(e.data === ErrorCode.PermissionsViolation, `error ${e.data}`);
    const ctx = e.permissionContext || {};
    assert(ctx.operation === "publish" && ctx.subject === "billing", JSON.stringify(ctx));
    await nc.flush();
    assert(!nc.isClosed(), "connection closed");
    await nc.close();
  });
  await check("subscribe violation is reported", async () => {
    const nc = await open({ user: "alice", pass: "alice-secret" });
    const err = firstError(nc);
    nc.subscribe("billing");
    const e = await err;
    assert(e.data === ErrorCode.PermissionsViolation, `error ${e.data}`);
    const ctx = e.permissionContext || {};
    assert(ctx.operation === "subscription" && ctx.subject === "billing", JSON.stringify(ctx));
    await nc.close();
  });
} else if (mode === "token") {
  await check("token", async () => {
    const nc = await open({ token: "t0ken-secret" });
    await nc.flush();
    await nc.close();
  });
  await check("wrong token is an authorization violation", () => refused({ token: "nope" }));
} else {
  console.log(`not ok - unknown mode ${mode}`);
  results.push(false);
}

clearTimeout(overall);
process.exit(results.every((r) => r) ? 0 : 1);
