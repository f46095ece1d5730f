#include "server/cluster/cluster_manager.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <random>

#include "base/log.h"
#include "proto/route/encoder.h"
#include "server/auth/bcrypt.h"
#include "server/cluster/etcd_membership.h"
#include "server/cluster/route_session.h"
#include "server/connection.h"
#include "server/server.h"
#include "server/worker.h"

namespace tern::server {
namespace {

constexpr int kDefaultRoutePort = 6222;
constexpr std::chrono::milliseconds kTickPeriod{50};
constexpr std::chrono::milliseconds kDialTimeout{2000};
// Redial backoff: quick after a route that worked drops (the peer may be
// restarting), doubling per failed dial up to a few seconds, with jitter so
// a cluster that lost a node does not redial it in step.
constexpr std::chrono::milliseconds kRedialFirst{250};
constexpr std::chrono::milliseconds kRedialMax{5000};

enum Source : int { kSeed = 0, kGossip = 1, kEtcd = 2 };

bool IsAnyAddress(std::string_view host) { return host.empty() || host == "0.0.0.0" || host == "::"; }

// For a listener on every interface: an address peers can reach us at.
std::string ReachableHost() {
  ifaddrs* list = nullptr;
  std::string found;
  if (getifaddrs(&list) == 0) {
    for (ifaddrs* a = list; a != nullptr && found.empty(); a = a->ifa_next) {
      if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
      char text[INET_ADDRSTRLEN];
      auto* in = reinterpret_cast<sockaddr_in*>(a->ifa_addr);
      if (inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) == nullptr) continue;
      if (std::string_view(text).starts_with("127.")) continue;
      found = text;
    }
    freeifaddrs(list);
  }
  return found.empty() ? "127.0.0.1" : found;
}

std::string Advertised(const std::string& configured, const std::string& host, int port) {
  if (!configured.empty()) {
    auto parsed = base::ParseHostPort(configured, port);
    if (parsed.ok()) return base::FormatHostPort(parsed->host, parsed->port);
  }
  return base::FormatHostPort(IsAnyAddress(host) ? ReachableHost() : host, port);
}

// "host:port" for a URL in any accepted spelling; empty when unusable.
std::string Normalize(std::string_view url) {
  auto parsed = base::ParseHostPort(url, kDefaultRoutePort);
  if (!parsed.ok() || IsAnyAddress(parsed->host) || parsed->port <= 0) return {};
  return base::FormatHostPort(parsed->host, parsed->port);
}

}  // namespace

struct ClusterManager::Peer {
  std::string url;  // host:port
  base::HostPort addr;
  int source = kSeed;
  enum class State { kIdle, kDialing, kConnected, kSelf } state = State::kIdle;
  std::string server_id;  // of the node reached there, once known
  int failures = 0;
  io::Clock::time_point next_dial{};
};

struct ClusterManager::Route {
  std::shared_ptr<Connection> conn;
  RouteSession* session;
  proto::route::RouteInfo info;
};

struct ClusterManager::PendingBarrier {
  uint64_t token;
  std::vector<uint64_t> waiting;  // route ids yet to acknowledge
  std::shared_ptr<Connection> client;
  io::Clock::time_point deadline;
};

ClusterManager::ClusterManager(Server& server)
    : server_(server),
      options_(server.options().cluster),
      server_id_(server.server_id()),
      server_name_(server.server_name()),
      max_pending_(server.options().cluster.max_pending),
      relay_(server.sublist(), nullptr) {
  for (const std::string& seed : options_.routes) {
    const base::UrlCredentials creds = base::ParseUrlCredentials(seed);
    std::string url = Normalize(seed);
    if (creds.present && !url.empty()) seed_credentials_.try_emplace(url, RouteCredentials{creds.user, creds.password});
  }
  if (options_.authorization.enabled()) {
    route_auth_ = std::make_shared<const ClusterAuthOptions>(options_.authorization);
  }
}

std::shared_ptr<const ClusterAuthOptions> ClusterManager::route_auth() const {
  std::lock_guard lock(auth_mu_);
  return route_auth_;
}

RouteCredentials ClusterManager::DialCredentials(const std::string& url) const {
  if (auto it = seed_credentials_.find(url); it != seed_credentials_.end()) return it->second;
  // nats-server dials a peer learned by gossip with its own cluster user
  // and password; a bcrypt hash is no password to send, so then the
  // secret a seed URL carries stands in for it.
  if (auto auth = route_auth(); auth != nullptr && !auth::IsBcrypt(auth->password)) {
    return {auth->user, auth->password};
  }
  if (!seed_credentials_.empty()) return seed_credentials_.begin()->second;
  return {};
}

void ClusterManager::SetAuthorization(const ClusterAuthOptions& auth) {
  std::shared_ptr<const ClusterAuthOptions> next;
  if (auth.enabled()) next = std::make_shared<const ClusterAuthOptions>(auth);
  {
    std::lock_guard lock(auth_mu_);
    const bool same = next == nullptr ? route_auth_ == nullptr
                                      : route_auth_ != nullptr && route_auth_->user == next->user &&
                                            route_auth_->password == next->password;
    route_auth_ = next;
    if (same) return;
  }
  loop_.Post([this, next] {
    for (const auto& [id, r] : routes_) {
      if (r->session->outbound()) continue;  // the peer checks what we present
      r->conn->owner().loop().Post([conn = r->conn, session = r->session, next] {
        if (!conn->closed()) session->Recheck(next);
      });
    }
  });
}

ClusterManager::~ClusterManager() { Stop(); }

base::Status ClusterManager::AddEndpoint(std::vector<Endpoint>* endpoints) {
  Endpoint e;
  e.name = "cluster";
  if (!options_.listen.empty()) {
    auto hp = base::ParseHostPort(options_.listen, kDefaultRoutePort);
    if (!hp.ok()) return base::Status("cluster.listen: " + hp.message());
    e.host = hp->host.empty() ? "0.0.0.0" : hp->host;
    e.port = hp->port;
  } else {
    e.host = options_.host.empty() ? server_.options().addr : options_.host;
    e.port = options_.port == 0 ? kDefaultRoutePort : options_.port;
  }
  e.new_session = [this](Connection& conn) { return std::make_unique<RouteSession>(conn, *this, std::string()); };
  if (options_.tls.enabled()) {
    // Mutual TLS: each node proves itself to the other with the same block.
    io::TlsConfig config = ToTlsConfig(options_.tls);
    config.verify_peer = true;
    auto server_side = io::TlsContext::Create(config, io::TlsContext::Role::kServer);
    if (!server_side.ok()) return base::Status("cluster.tls: " + server_side.message());
    auto client_side = io::TlsContext::Create(config, io::TlsContext::Role::kClient);
    if (!client_side.ok()) return base::Status("cluster.tls: " + client_side.message());
    e.tls = std::move(server_side).value();
    e.tls_mode = TlsMode::kImplicit;
    e.tls_verify = true;
    e.tls_timeout = options_.tls.timeout;
    client_tls_ = std::move(client_side).value();
  }
  endpoints->push_back(std::move(e));
  return base::Status::Ok();
}

base::Status ClusterManager::Start(const Endpoint& route_listener, const Endpoint& client_listener) {
  {
    std::lock_guard lock(info_mu_);
    route_url_ = Advertised(options_.advertise, route_listener.host, route_listener.port);
    my_client_urls_ = {Advertised(server_.options().client_advertise, client_listener.host, client_listener.port)};
  }
  running_.store(true);
  loop_.SetTicker(kTickPeriod, [this] { Tick(); });
  thread_ = std::thread([this] { loop_.Run(); });
  log::Info("Cluster: {} (name '{}'), route URL nats-route://{}{}{}", server_name_, options_.name, route_url_,
            client_tls_ != nullptr ? ", mutual TLS" : "",
            options_.authorization.enabled() ? ", routes authenticate as user " + options_.authorization.user : "");
  if (options_.authorization.enabled() && !auth::IsBcrypt(options_.authorization.password)) {
    log::Warn("cluster.authorization.password is plain text; a bcrypt hash (tern passwd) keeps it out of the file");
  }
  for (const std::string& seed : options_.routes) {
    std::string url = Normalize(seed);
    if (url.empty()) {
      log::Warn("cluster.routes: '{}' is not a reachable host:port, skipped", base::StripUrlCredentials(seed));
      continue;
    }
    loop_.Post([this, url] { LearnPeer(url, kSeed); });
  }
  if (options_.etcd.enabled()) {
    etcd_ = std::make_unique<EtcdMembership>(*this, options_.etcd, server_name_, route_url_);
    etcd_->Start();
  }
  return base::Status::Ok();
}

void ClusterManager::Stop() {
  if (etcd_ != nullptr) etcd_->Stop();
  if (!running_.exchange(false)) return;
  loop_.Post([this] {
    // Nobody will acknowledge these any more: answer the clients now.
    for (PendingBarrier& b : barriers_) b.client->Send(proto::route::kPong);
    barriers_.clear();
    loop_.Stop();
  });
  if (thread_.joinable()) thread_.join();
}

// ---- interest ----------------------------------------------------------

void ClusterManager::OnInterestChanged(const core::Subscription& sub, bool added, bool first_or_last) {
  (void)added;
  if (!relay_.OnChange(sub, first_or_last)) return;
  // A worker sends it at the end of its turn (Worker::EndTurn); a change
  // made elsewhere (the system services) goes out from the cluster thread.
  if (Worker::Current() == nullptr && running_.load(std::memory_order_relaxed)) {
    loop_.Post([this] { relay_.Flush(); });
  }
}

void ClusterManager::Barrier(std::shared_ptr<Connection> client) {
  if (!running_.load(std::memory_order_acquire)) {
    client->Send(proto::route::kPong);
    return;
  }
  loop_.Post([this, client = std::move(client)]() mutable {
    const uint64_t token = ++next_token_;
    std::vector<uint64_t> ids = relay_.Barrier(token);
    {
      std::lock_guard lock(info_mu_);
      ++stats_.barriers;
    }
    if (ids.empty() && barriers_.empty()) {
      client->Send(proto::route::kPong);
      return;
    }
    barriers_.push_back({token, std::move(ids), std::move(client), io::Clock::now() + options_.barrier_timeout});
    CompleteBarriers(io::Clock::now());
  });
}

void ClusterManager::OnBarrierAck(RouteSession& route, std::string_view token_text) {
  uint64_t token = 0;
  std::from_chars(token_text.data(), token_text.data() + token_text.size(), token);
  const uint64_t id = route.connection().id();
  loop_.Post([this, id, token] {
    for (PendingBarrier& b : barriers_) {
      if (b.token == token) std::erase(b.waiting, id);
    }
    CompleteBarriers(io::Clock::now());
  });
}

void ClusterManager::CompleteBarriers(io::Clock::time_point now) {
  // Front first: every barrier went to every route and routes answer in
  // order, so a client's PONGs leave in the order of its PINGs.
  while (!barriers_.empty()) {
    PendingBarrier& b = barriers_.front();
    if (!b.waiting.empty()) {
      if (now < b.deadline) return;
      std::lock_guard lock(info_mu_);
      ++stats_.barrier_timeouts;
      log::Warn("Interest barrier {} timed out waiting for {} route(s)", b.token, b.waiting.size());
    }
    b.client->Send(proto::route::kPong);
    barriers_.pop_front();
  }
}

// ---- routes ------------------------------------------------------------

proto::route::RouteInfo ClusterManager::LocalInfo() {
  proto::route::RouteInfo info;
  info.server_id = server_id_;
  info.server_name = server_name_;
  info.cluster = options_.name;
  info.version = kTernVersion;
  info.lame_duck = lame_duck_.load(std::memory_order_relaxed);
  info.paused = paused_.load(std::memory_order_relaxed);
  info.auth_required = route_auth() != nullptr;
  std::lock_guard lock(info_mu_);
  info.route_url = "nats-route://" + route_url_;
  info.connect_urls = my_client_urls_;
  info.routes = route_urls_;
  return info;
}

void ClusterManager::OnRouteInfo(RouteSession& route, proto::route::RouteInfo peer, bool first) {
  auto conn = route.connection().shared_from_this();
  loop_.Post([this, conn, session = &route, peer = std::move(peer), first]() mutable {
    if (first) {
      Accept(conn, session, std::move(peer));
    } else {
      Update(conn, std::move(peer));
    }
  });
}

void ClusterManager::OnRouteClosed(RouteSession& route, std::string refusal) {
  auto conn = route.connection().shared_from_this();
  loop_.Post([this, conn, session = &route, refusal = std::move(refusal)]() mutable {
    Closed(conn, session, std::move(refusal));
  });
}

void ClusterManager::Refuse(const std::shared_ptr<Connection>& conn, RouteSession* session, std::string text) {
  log::Error("Refusing route from {}:{}: {}", conn->ip(), conn->port(), text);
  conn->owner().loop().Post([conn, session, text = std::move(text)] { session->Refuse(text); });
}

void ClusterManager::DropQuietly(const std::shared_ptr<Connection>& conn, RouteSession* session) {
  conn->owner().loop().Post([conn, session] { session->Drop(); });
}

void ClusterManager::Accept(std::shared_ptr<Connection> conn, RouteSession* session, proto::route::RouteInfo peer) {
  if (conn->closed()) return;
  if (peer.server_id == server_id_) {
    // A seed that is this node (every node given the same seed list).
    if (Peer* p = FindPeer(session->dialled_url())) {
      p->state = Peer::State::kSelf;
      p->server_id = server_id_;
    }
    DropQuietly(conn, session);
    return;
  }
  if (!peer.server_name.empty()) {
    if (peer.server_name == server_name_) {
      Refuse(conn, session, "duplicate server name '" + peer.server_name + "': it is this node's name");
      return;
    }
    for (const auto& [id, r] : routes_) {
      if (r->info.server_name == peer.server_name && r->info.server_id != peer.server_id) {
        Refuse(conn, session,
               "duplicate server name '" + peer.server_name + "': already used by server id " + r->info.server_id);
        return;
      }
    }
  }
  for (auto it = routes_.begin(); it != routes_.end(); ++it) {
    Route& old = *it->second;
    if (old.info.server_id != peer.server_id) continue;
    // Two routes to one node, most often because both dialled at once.
    // Both ends keep the one dialled by the smaller server id, so they
    // agree without talking; a second dial by the same node (a seed and a
    // gossiped URL naming one node) loses to the route already up.
    const std::string& new_dialer = session->outbound() ? server_id_ : peer.server_id;
    const std::string& old_dialer = old.session->outbound() ? server_id_ : old.info.server_id;
    if (!(new_dialer < old_dialer)) {
      if (Peer* p = FindPeer(session->dialled_url())) {
        p->state = Peer::State::kConnected;
        p->server_id = peer.server_id;
      }
      log::Debug("Route to {} duplicates cid:{}, dropped", peer.server_name, old.conn->id());
      DropQuietly(conn, session);
      return;
    }
    log::Debug("Route cid:{} to {} replaced by cid:{} (both nodes dialled)", old.conn->id(), peer.server_name,
               conn->id());
    relay_.RemoveRoute(old.conn->id());
    DropQuietly(old.conn, old.session);
    routes_.erase(it);
    break;
  }

  const uint64_t id = conn->id();
  const size_t sent = relay_.AddRoute(id, conn);
  routes_[id] = std::make_unique<Route>(Route{conn, session, peer});
  for (const std::string& url : {session->dialled_url(), Normalize(peer.route_url)}) {
    if (url.empty()) continue;
    Peer& p = LearnPeer(url, kGossip);
    p.state = Peer::State::kConnected;
    p.server_id = peer.server_id;
    p.failures = 0;
  }
  Learn(peer);
  {
    std::lock_guard lock(info_mu_);
    ++stats_.routes_accepted;
  }
  log::Info("Route connection created with {} ({}) at {}:{} ({}), {} interest entries sent", peer.server_name,
            peer.server_id, conn->ip(), conn->port(), session->outbound() ? "dialled" : "accepted", sent);
  AnnounceChange();
}

void ClusterManager::Update(std::shared_ptr<Connection> conn, proto::route::RouteInfo peer) {
  auto it = routes_.find(conn->id());
  if (it == routes_.end() || it->second->conn != conn) return;
  it->second->info = std::move(peer);
  Learn(it->second->info);
  AnnounceChange();
}

void ClusterManager::Closed(std::shared_ptr<Connection> conn, RouteSession* session, std::string refusal) {
  std::string peer_id;
  auto it = routes_.find(conn->id());
  if (it != routes_.end() && it->second->session == session) {
    peer_id = it->second->info.server_id;
    log::Info("Route connection with {} closed", it->second->info.server_name);
    relay_.RemoveRoute(conn->id());
    routes_.erase(it);
    for (PendingBarrier& b : barriers_) std::erase(b.waiting, conn->id());
    CompleteBarriers(io::Clock::now());
    AnnounceChange();
  }
  if (!refusal.empty()) log::Error("Route to {} refused by the peer: {}", session->dialled_url(), refusal);
  // Redial what led to this node, unless another route to it is up.
  auto connected = [this](const std::string& id) {
    return !id.empty() &&
           std::any_of(routes_.begin(), routes_.end(), [&](const auto& r) { return r.second->info.server_id == id; });
  };
  for (auto& [url, p] : peers_) {
    const bool dialled_here = url == session->dialled_url() && p->state == Peer::State::kDialing;
    const bool led_here = !peer_id.empty() && p->server_id == peer_id;
    if (!dialled_here && !led_here) continue;
    if (p->state == Peer::State::kSelf) continue;
    if (connected(p->server_id)) {
      p->state = Peer::State::kConnected;
      continue;
    }
    // A dial that reached no route at all counts as a failure and backs off.
    ScheduleRedial(*p, /*failed=*/dialled_here && peer_id.empty());
  }
}

void ClusterManager::Learn(const proto::route::RouteInfo& peer) {
  for (const std::string& url : peer.routes) {
    std::string normalized = Normalize(url);
    if (!normalized.empty()) LearnPeer(normalized, kGossip);
  }
}

void ClusterManager::AnnounceChange() {
  std::vector<std::string> clients, routes;
  std::vector<std::string> names;
  for (const auto& [id, r] : routes_) {
    for (const std::string& u : r->info.connect_urls) {
      if (std::find(clients.begin(), clients.end(), u) == clients.end()) clients.push_back(u);
    }
    if (std::string u = Normalize(r->info.route_url); !u.empty()) routes.push_back(u);
    names.push_back(r->info.server_name);
  }
  bool clients_changed;
  {
    std::lock_guard lock(info_mu_);
    clients_changed = clients != client_urls_;
    const bool routes_changed = routes != route_urls_;
    client_urls_ = std::move(clients);
    route_urls_ = std::move(routes);
    stats_.routes = routes_.size();
    stats_.known_peers = peers_.size();
    stats_.peer_names = std::move(names);
    if (!routes_changed && !clients_changed) return;
  }
  // Peers learn of each other from these (gossip); clients get new URLs.
  const std::string info = proto::route::EncodeInfo(LocalInfo());
  for (const auto& [id, r] : routes_) r->conn->WriteControl([&](io::OutputBuffer& out) { out.Append(info); });
  if (clients_changed) server_.AnnounceClusterChange();
}

void ClusterManager::EnterLameDuck() {
  lame_duck_.store(true, std::memory_order_relaxed);
  loop_.Post([this] {
    relay_.SendToAll(proto::route::EncodeInfo(LocalInfo()), /*queue_weights=*/false);
    log::Info("Lame duck: told {} peer(s) to send this node no queue work", routes_.size());
  });
}

bool ClusterManager::SetPaused(bool paused) {
  if (paused_.exchange(paused, std::memory_order_relaxed) == paused) return false;
  loop_.Post([this, paused] {
    relay_.SendToAll(proto::route::EncodeInfo(LocalInfo()), /*queue_weights=*/!paused);
    log::Info("{}: told {} peer(s)", paused ? "Paused, no queue work for this node" : "Resumed", routes_.size());
  });
  return true;
}

// ---- membership --------------------------------------------------------

ClusterManager::Peer* ClusterManager::FindPeer(const std::string& url) {
  auto it = peers_.find(url);
  return it == peers_.end() ? nullptr : it->second.get();
}

ClusterManager::Peer& ClusterManager::LearnPeer(const std::string& url, int source) {
  auto [it, fresh] = peers_.try_emplace(url);
  if (fresh) {
    it->second = std::make_unique<Peer>();
    it->second->url = url;
    it->second->source = source;
    auto parsed = base::ParseHostPort(url, kDefaultRoutePort);
    if (parsed.ok()) it->second->addr = std::move(parsed).value();
    // Our own URL, told back to us by a peer: never dial it.
    std::lock_guard lock(info_mu_);
    if (url == route_url_) it->second->state = Peer::State::kSelf;
  } else if (source == kEtcd || source == kSeed) {
    it->second->source = source;  // a stronger reason to keep it
  }
  return *it->second;
}

void ClusterManager::AddPeer(const std::string& raw, bool from_etcd) {
  std::string url = Normalize(raw);
  if (url.empty()) return;
  loop_.Post([this, url, from_etcd] {
    Peer& p = LearnPeer(url, from_etcd ? kEtcd : kSeed);
    if (p.state == Peer::State::kIdle && p.failures > 0) p.next_dial = {};  // it just (re)appeared: try now
  });
}

void ClusterManager::ForgetPeer(const std::string& raw) {
  std::string url = Normalize(raw);
  loop_.Post([this, url] {
    if (Peer* p = FindPeer(url); p != nullptr && p->state != Peer::State::kConnected) peers_.erase(url);
  });
}

void ClusterManager::Tick() {
  const auto now = io::Clock::now();
  DialDue(now);
  CompleteBarriers(now);
}

void ClusterManager::DialDue(io::Clock::time_point now) {
  for (auto& [url, p] : peers_) {
    if (p->state == Peer::State::kIdle && p->next_dial <= now) Dial(*p);
  }
}

void ClusterManager::Dial(Peer& peer) {
  auto& workers = server_.workers();
  if (workers.empty() || peer.addr.port <= 0) return;
  peer.state = Peer::State::kDialing;
  Worker& worker = *workers[next_worker_++ % workers.size()];
  log::Debug("Dialling route {}", peer.url);
  if (base::Status s = worker.Dial(peer.addr.host, peer.addr.port, DialEndpoint(peer.url), kDialTimeout); !s.ok()) {
    log::Debug("Route dial to {} failed: {}", peer.url, s.message());
    ScheduleRedial(peer, /*failed=*/true);
  }
}

void ClusterManager::ScheduleRedial(Peer& peer, bool failed) {
  static thread_local std::minstd_rand rng{std::random_device{}()};
  peer.state = Peer::State::kIdle;
  peer.failures = failed ? peer.failures + 1 : 0;
  auto delay = std::min<std::chrono::milliseconds>(kRedialFirst * (1 << std::min(peer.failures, 5)), kRedialMax);
  const double jitter = 0.8 + 0.4 * static_cast<double>(rng() % 1000) / 1000.0;
  peer.next_dial = io::Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(delay.count() * jitter));
}

const Endpoint& ClusterManager::DialEndpoint(const std::string& url) {
  auto& slot = dial_endpoints_[url];
  if (slot == nullptr) {
    slot = std::make_unique<Endpoint>();
    slot->name = "route";
    slot->new_session = [this, url](Connection& conn) { return std::make_unique<RouteSession>(conn, *this, url); };
    if (client_tls_ != nullptr) {
      slot->tls = client_tls_;
      slot->tls_mode = TlsMode::kImplicit;
      slot->tls_timeout = options_.tls.timeout;
    }
  }
  return *slot;
}

std::vector<std::string> ClusterManager::ClientUrls() {
  std::lock_guard lock(info_mu_);
  return client_urls_;
}

ClusterStats ClusterManager::Stats() {
  std::lock_guard lock(info_mu_);
  ClusterStats s = stats_;
  s.dropped_to_slow_routes = dropped_.load(std::memory_order_relaxed);
  s.auth_failures = auth_failures_.load(std::memory_order_relaxed);
  s.auth_timeouts = auth_timeouts_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace tern::server
