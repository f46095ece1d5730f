// tern dashboard. Plain browser JavaScript, no build step: polls the
// monitoring endpoints once a second and renders the page that is shown;
// the live client speaks the NATS protocol over the WebSocket listener.
"use strict";

const $ = (id) => document.getElementById(id);
const fmt = (n) => (n === undefined || n === null ? "–" : Number(n).toLocaleString("en-US"));
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

let page = "overview";
let connSort = "cid";
let varz = null;

async function get(path) {
  const r = await fetch(path, { cache: "no-store" });
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

function show(name) {
  page = name;
  for (const s of document.querySelectorAll(".page")) s.classList.toggle("active", s.id === name);
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.page === name);
  refresh();
}

async function refreshOverview() {
  const traffic = await get("/trafficz?window=1m");
  const seconds = traffic.seconds;
  const last = seconds[seconds.length - 1] || { in_msgs: 0, out_msgs: 0 };
  $("v-in-rate").textContent = fmt(last.in_msgs);
  $("v-out-rate").textContent = fmt(last.out_msgs);
  drawTraffic(seconds);
}

function drawTraffic(seconds) {
  const canvas = $("traffic");
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, pad = 30;
  ctx.clearRect(0, 0, w, h);
  const max = Math.max(1, ...seconds.map((s) => Math.max(s.in_msgs, s.out_msgs)));
  ctx.fillStyle = "#6b7385";
  ctx.font = "11px system-ui";
  ctx.fillText(fmt(max) + "/s", 2, 12);
  ctx.fillText("0", 2, h - pad + 4);
  for (const [key, color] of [["in_msgs", "#2f7fe0"], ["out_msgs", "#e0832f"]]) {
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    seconds.forEach((s, i) => {
      const x = pad + ((w - 2 * pad) * i) / 59;
      const y = h - pad - ((h - 2 * pad) * s[key]) / max;
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
}

async function refreshConnections() {
  const connz = await get(`/connz?limit=500&sort=${connSort}`);
  const filter = $("conn-filter").value.trim().toLowerCase();
  const rows = connz.connections.filter((c) =>
    !filter || [c.name, c.ip, c.lang].some((v) => String(v ?? "").toLowerCase().includes(filter)));
  $("conn-count").textContent = `${rows.length} shown of ${connz.total}`;
  $("conn-table").querySelector("tbody").innerHTML = rows.map((c) => `<tr data-cid="${c.cid}">
    <td>${c.cid}</td><td>${esc(c.name)}</td><td>${esc(c.ip)}:${c.port}</td><td>${esc(c.lang)}</td>
    <td>${esc(c.uptime)}</td><td>${esc(c.idle)}</td><td>${fmt(c.in_msgs)}</td><td>${fmt(c.out_msgs)}</td>
    <td>${fmt(c.in_bytes)}</td><td>${fmt(c.out_bytes)}</td><td>${fmt(c.subscriptions)}</td>
    <td>${fmt(c.pending_bytes)}</td></tr>`).join("");
  for (const th of document.querySelectorAll("#conn-table th")) th.classList.toggle("sorted", th.dataset.sort === connSort);
}

async function refreshSubscriptions() {
  const test = $("sub-test").value.trim();
  const subsz = await get(`/subsz?subs=1&limit=500${test ? "&test=" + encodeURIComponent(test) : ""}`);
  $("sub-count").textContent = `${subsz.total} subscriptions${test ? " reached by " + test : ""}`;
  $("sub-table").querySelector("tbody").innerHTML = subsz.subscriptions_list.map((s) =>
    `<tr><td>${esc(s.subject)}</td><td>${esc(s.qgroup)}</td><td>${s.cid}</td><td>${esc(s.sid)}</td><td>${fmt(s.msgs)}</td></tr>`).join("");
}

async function refreshEvents() {
  const head = await get("/eventz?limit=0");
  const events = await get(`/eventz?since=${Math.max(0, head.last_seq - 200)}`);
  $("event-table").querySelector("tbody").innerHTML = events.events.reverse().map((e) => `<tr>
    <td>${e.seq}</td><td>${esc(e.time)}</td><td>${esc(e.type)}</td><td>${e.cid ?? ""}</td><td>${esc(e.name)}</td>
    <td>${e.ip ? esc(e.ip) + ":" + e.port : ""}</td><td>${esc(e.reason)}</td></tr>`).join("");
}

async function refresh() {
  try {
    varz = await get("/varz");
    $("server-name").textContent = varz.server_name;
    $("v-connections").textContent = fmt(varz.connections);
    $("v-subscriptions").textContent = fmt(varz.subscriptions);
    $("v-msgs").textContent = `${fmt(varz.in_msgs)} / ${fmt(varz.out_msgs)}`;
    $("v-slow").textContent = fmt(varz.slow_consumers);
    $("v-uptime").textContent = varz.uptime;
    $("v-version").textContent = varz.version;
    $("v-routes").textContent = fmt(varz.routes);
    if (page === "overview") await refreshOverview();
    if (page === "connections") await refreshConnections();
    if (page === "subscriptions") await refreshSubscriptions();
    if (page === "events") await refreshEvents();
    $("status").textContent = "live";
    $("status").className = "status ok";
  } catch (err) {
    $("status").textContent = String(err.message || err);
    $("status").className = "status err";
  }
}

// ---- the live client: NATS over WebSocket -------------------------------

class NatsWs {
  constructor(url, onMessage, onState) {
    this.onMessage = onMessage;
    this.onState = onState;
    this.nextSid = 1;
    this.buf = "";
    this.inbox = `_INBOX.dash${Math.random().toString(36).slice(2)}`;
    this.pending = new Map();  // reply subject -> resolve
    this.ws = new WebSocket(url);
    this.ws.binaryType = "arraybuffer";
    this.ws.onopen = () => onState("open, waiting for INFO");
    this.ws.onclose = () => onState("closed");
    this.ws.onerror = () => onState("error");
    this.ws.onmessage = (ev) => this.feed(typeof ev.data === "string" ? ev.data : new TextDecoder().decode(ev.data));
    this.ready = new Promise((resolve) => (this.readyResolve = resolve));
  }
  send(text) { this.ws.send(new TextEncoder().encode(text)); }
  feed(text) {
    this.buf += text;
    for (;;) {
      const eol = this.buf.indexOf("\r\n");
      if (eol < 0) return;
      const line = this.buf.slice(0, eol);
      if (line.startsWith("MSG ")) {
        const parts = line.split(" ");
        const size = Number(parts[parts.length - 1]);
        if (this.buf.length < eol + 2 + size + 2) return;  // payload not all here yet
        const payload = this.buf.slice(eol + 2, eol + 2 + size);
        this.buf = this.buf.slice(eol + 2 + size + 2);
        const subject = parts[1], reply = parts.length === 5 ? parts[3] : "";
        const waiter = this.pending.get(subject);
        if (waiter) { this.pending.delete(subject); waiter(payload); } else this.onMessage(subject, reply, payload);
        continue;
      }
      this.buf = this.buf.slice(eol + 2);
      if (line.startsWith("INFO ")) {
        this.send(`CONNECT {"verbose":false,"pedantic":false,"protocol":1,"name":"dashboard","lang":"js-dashboard","version":"1"}\r\nSUB ${this.inbox}.* ${this.nextSid++}\r\nPING\r\n`);
      } else if (line === "PING") {
        this.send("PONG\r\n");
      } else if (line === "PONG" && this.readyResolve) {
        this.readyResolve(); this.readyResolve = null;
        this.onState("connected");
      } else if (line.startsWith("-ERR")) {
        this.onState(line);
      }
    }
  }
  subscribe(subject) { this.send(`SUB ${subject} ${this.nextSid++}\r\nPING\r\n`); }
  publish(subject, payload, reply = "") {
    const bytes = new TextEncoder().encode(payload).length;
    this.send(`PUB ${subject}${reply ? " " + reply : ""} ${bytes}\r\n${payload}\r\n`);
  }
  request(subject, payload, timeoutMs = 2000) {
    const reply = `${this.inbox}.${this.nextSid++}`;
    return new Promise((resolve, reject) => {
      this.pending.set(reply, resolve);
      setTimeout(() => { if (this.pending.delete(reply)) reject(new Error("timeout")); }, timeoutMs);
      this.publish(subject, payload, reply);
    });
  }
}

let client = null;
function received(text) {
  const li = document.createElement("li");
  li.textContent = text;
  $("received").prepend(li);
}

async function liveClient() {
  if (client) return client;
  if (!varz) varz = await get("/varz");
  const ws = varz.websocket || {};
  if (!ws.port) throw new Error("the WebSocket listener is off (websocket.port)");
  const scheme = ws.no_tls ? "ws" : "wss";
  client = new NatsWs(`${scheme}://${location.hostname}:${ws.port}`,
    (subject, reply, payload) => received(`${subject}: ${payload}`),
    (state) => ($("ws-state").textContent = `WebSocket ${state}`));
  await client.ready;
  return client;
}

function wire() {
  for (const a of document.querySelectorAll("nav a")) a.onclick = () => show(a.dataset.page);
  for (const th of document.querySelectorAll("#conn-table th[data-sort]")) {
    th.onclick = () => { connSort = th.dataset.sort; refresh(); };
  }
  $("conn-filter").oninput = () => refresh();
  $("sub-test").oninput = () => refresh();
  $("sub-button").onclick = async () => (await liveClient()).subscribe($("sub-subject").value.trim());
  $("pub-button").onclick = async () => (await liveClient()).publish($("pub-subject").value.trim(), $("pub-payload").value);
  $("req-button").onclick = async () => {
    const c = await liveClient();
    try {
      received(`reply: ${await c.request($("pub-subject").value.trim(), $("pub-payload").value)}`);
    } catch (err) {
      received(`request: ${err.message}`);
    }
  };
  show((location.hash || "#overview").slice(1));
  setInterval(refresh, 1000);
}

wire();
