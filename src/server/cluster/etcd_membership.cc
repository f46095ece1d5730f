#include "server/cluster/etcd_membership.h"

#include <nlohmann/json.hpp>

#include "base/host_port.h"
#include "base/log.h"
#include "server/cluster/cluster_manager.h"
#include "server/cluster/http_client.h"

namespace tern::server {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr std::chrono::milliseconds kRequestTimeout{2000};
constexpr std::chrono::milliseconds kRetryFirst{200};
constexpr std::chrono::milliseconds kRetryMax{2000};
// Watch reads wake at least this often so Stop() and keepalives are timely.
constexpr std::chrono::milliseconds kWatchSlice{250};

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  while (out.size() % 4 != 0) out.push_back('=');
  return out;
}

std::string Unbase64(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const char* at = std::strchr(kAlphabet, c);
    if (c == '=' || c == '\0' || at == nullptr) break;
    acc = (acc << 6) | static_cast<uint32_t>(at - kAlphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

json Parse(const std::string& body) { return json::parse(body, nullptr, /*allow_exceptions=*/false); }

std::string Text(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// etcd's gateway writes 64-bit numbers as strings.
int64_t Number(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_string()) return std::atoll(it->get_ref<const std::string&>().c_str());
  return it->is_number() ? it->get<int64_t>() : 0;
}

}  // namespace

EtcdMembership::EtcdMembership(ClusterManager& cluster, EtcdOptions options, std::string name, std::string route_url)
    : cluster_(cluster),
      options_(std::move(options)),
      name_(std::move(name)),
      key_(options_.prefix + "/" + name_),
      route_url_("nats-route://" + route_url) {
  for (const std::string& url : options_.endpoints) {
    auto hp = base::ParseHostPort(url, 2379);
    if (hp.ok()) endpoints_.push_back({hp->host, hp->port});
  }
}

EtcdMembership::~EtcdMembership() { Stop(); }

void EtcdMembership::Start() {
  if (endpoints_.empty()) return;
  running_ = true;
  thread_ = std::thread([this] { Run(); });
}

void EtcdMembership::Stop() {
  if (!running_.exchange(false)) return;
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool EtcdMembership::Sleep(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  wake_.wait_for(lock, d, [this] { return !running_.load(); });
  return running_.load();
}

void EtcdMembership::Run() {
  size_t at = 0;
  auto delay = kRetryFirst;
  bool down_reported = false;
  while (running_) {
    const Endpoint& e = endpoints_[at];
    const auto started = Clock::now();
    Session(e);
    if (!running_) break;
    // A session that lasted was a working etcd: start the backoff afresh.
    if (Clock::now() - started > std::chrono::seconds(5)) delay = kRetryFirst, down_reported = false;
    if (!down_reported) {
      log::Warn("etcd {}:{} unreachable or failing; routes keep working, retrying", e.host, e.port);
      down_reported = true;
    }
    at = (at + 1) % endpoints_.size();
    if (!Sleep(delay)) break;
    delay = std::min(delay * 2, kRetryMax);
  }
  if (!lease_.empty()) {
    // Peers forget this node now instead of after the TTL.
    for (const Endpoint& e : endpoints_) {
      auto r =
          HttpPost(e.host, e.port, "/v3/lease/revoke", json{{"ID", lease_}}.dump(), std::chrono::milliseconds(500));
      if (r.ok() && r->status == 200) break;
    }
    lease_.clear();
  }
}

void EtcdMembership::Session(const Endpoint& e) {
  if (!Register(e)) return;
  int64_t revision = 0;
  if (!ReadAll(e, &revision)) return;
  Watch(e, revision);
}

bool EtcdMembership::KeepAlive(const Endpoint& e) {
  auto r = HttpPost(e.host, e.port, "/v3/lease/keepalive", json{{"ID", lease_}}.dump(), kRequestTimeout);
  if (!r.ok() || r->status != 200) return false;
  // One streamed answer: {"result":{"ID":..,"TTL":".."}}; no TTL: the lease is gone.
  json j = Parse(r->body.substr(0, r->body.find('\n')));
  const json& result = j.contains("result") ? j["result"] : j;
  if (Number(result, "TTL") <= 0) {
    log::Info("etcd lease {} expired; registering again", lease_);
    lease_.clear();
    return false;
  }
  next_keepalive_ = Clock::now() + options_.ttl / 3;
  return true;
}

bool EtcdMembership::Register(const Endpoint& e) {
  if (!lease_.empty() && !KeepAlive(e) && !lease_.empty()) return false;  // etcd unreachable, lease unknown
  if (lease_.empty()) {
    const int64_t ttl = std::max<int64_t>(2, options_.ttl.count() / 1000);
    auto r = HttpPost(e.host, e.port, "/v3/lease/grant", json{{"TTL", ttl}}.dump(), kRequestTimeout);
    if (!r.ok() || r->status != 200) return false;
    lease_ = Text(Parse(r->body), "ID");
    if (lease_.empty()) return false;
    next_keepalive_ = Clock::now() + options_.ttl / 3;
  }
  // Create the key only if nobody has it, or take it over when it holds our
  // own URL (this node, restarted); anything else is another node's name.
  const std::string key = Base64(key_), value = Base64(route_url_);
  json put = {{"request_put", {{"key", key}, {"value", value}, {"lease", lease_}}}};
  json txn = {{"compare", json::array({{{"key", key}, {"target", "CREATE"}, {"create_revision", "0"}}})},
              {"success", json::array({put})},
              {"failure", json::array({{{"request_range", {{"key", key}}}}})}};
  auto r = HttpPost(e.host, e.port, "/v3/kv/txn", txn.dump(), kRequestTimeout);
  if (!r.ok() || r->status != 200) return false;
  json answer = Parse(r->body);
  if (answer.value("succeeded", false)) {
    log::Info("etcd: registered {} = {} (lease {}, TTL {})", key_, route_url_, lease_, options_.ttl.count());
    warned_duplicate_ = false;
    return true;
  }
  std::string holder;
  if (answer.contains("responses") && !answer["responses"].empty()) {
    const json& range = answer["responses"][0]["response_range"];
    if (range.contains("kvs") && !range["kvs"].empty()) holder = Unbase64(Text(range["kvs"][0], "value"));
  }
  if (holder == route_url_) {
    auto taken = HttpPost(e.host, e.port, "/v3/kv/put", put["request_put"].dump(), kRequestTimeout);
    if (!taken.ok() || taken->status != 200) return false;
    log::Info("etcd: took over {} (this node restarted)", key_);
    return true;
  }
  if (!warned_duplicate_) {
    log::Error(
        "etcd: server name '{}' is already registered by another node at {}; not registering (the route "
        "handshake refuses a duplicate name too)",
        name_, holder);
    warned_duplicate_ = true;
  }
  return true;  // keep learning peers; try to register again on the next session
}

bool EtcdMembership::ReadAll(const Endpoint& e, int64_t* revision) {
  const std::string prefix = options_.prefix + "/";
  std::string end = prefix;
  end.back() = static_cast<char>(end.back() + 1);
  auto r = HttpPost(e.host, e.port, "/v3/kv/range", json{{"key", Base64(prefix)}, {"range_end", Base64(end)}}.dump(),
                    kRequestTimeout);
  if (!r.ok() || r->status != 200) return false;
  json j = Parse(r->body);
  *revision = Number(j.value("header", json::object()), "revision");
  std::map<std::string, std::string> now;
  if (j.contains("kvs")) {
    for (const json& kv : j["kvs"]) now[Unbase64(Text(kv, "key"))] = Unbase64(Text(kv, "value"));
  }
  for (auto it = members_.begin(); it != members_.end();) {
    auto next = std::next(it);
    if (!now.contains(it->first)) Gone(it->first);
    it = next;
  }
  for (const auto& [key, url] : now) Seen(key, url);
  return true;
}

void EtcdMembership::Watch(const Endpoint& e, int64_t revision) {
  const std::string prefix = options_.prefix + "/";
  std::string end = prefix;
  end.back() = static_cast<char>(end.back() + 1);
  json create = {
      {"create_request", {{"key", Base64(prefix)}, {"range_end", Base64(end)}, {"start_revision", revision + 1}}}};
  auto stream = HttpStream::Open(e.host, e.port, "/v3/watch", create.dump(), kRequestTimeout);
  if (!stream.ok()) return;
  std::string line;
  while (running_) {
    const auto now = Clock::now();
    if (now >= next_keepalive_) {
      if (!KeepAlive(e)) {
        // The lease expired (etcd was away longer than the TTL): our key
        // went with it. Register again; the watch goes on.
        if (!lease_.empty() || !Register(e)) return;
      }
    }
    auto wait = std::min<std::chrono::milliseconds>(
        kWatchSlice, std::chrono::duration_cast<std::chrono::milliseconds>(next_keepalive_ - now));
    switch ((*stream)->ReadLine(std::max(wait, std::chrono::milliseconds(1)), &line)) {
      case HttpStream::Read::kTimeout:
        continue;
      case HttpStream::Read::kClosed:
        return;
      case HttpStream::Read::kLine:
        break;
    }
    json j = Parse(line);
    const json& result = j.contains("result") ? j["result"] : j;
    if (result.value("canceled", false) || j.contains("error")) return;
    if (!result.contains("events")) continue;
    for (const json& ev : result["events"]) {
      const json& kv = ev.value("kv", json::object());
      const std::string key = Unbase64(Text(kv, "key"));
      if (Text(ev, "type") == "DELETE") {
        Gone(key);
      } else {
        Seen(key, Unbase64(Text(kv, "value")));
      }
    }
  }
}

void EtcdMembership::Seen(const std::string& key, const std::string& url) {
  if (key == key_) return;
  auto [it, fresh] = members_.insert_or_assign(key, url);
  (void)it;
  if (fresh) log::Info("etcd: node {} at {}", key, url);
  cluster_.AddPeer(url, /*from_etcd=*/true);
}

void EtcdMembership::Gone(const std::string& key) {
  auto it = members_.find(key);
  if (it == members_.end()) return;
  log::Info("etcd: node {} left ({})", key, it->second);
  cluster_.ForgetPeer(it->second);
  members_.erase(it);
}

}  // namespace tern::server
