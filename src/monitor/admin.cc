// POST actions, off unless http.admin_token is set, each refused without
// "Authorization: Bearer <token>" (the systems tern replaces serve these
// unauthenticated; tern does not):
//
//   POST /admin/lameduck            lame duck, as SIGUSR2, then exit
//   POST /admin/reload              re-read the config file, as SIGHUP
//   POST /admin/shutdown?grace=5s   flush clients for `grace` (default
//                                   shutdown_grace) and exit, as SIGTERM
//   POST /admin/kick?cid=N          close client connection N ("Kicked")
//   POST /admin/pause, /resume      a paused cluster node gets no queue work
//                                   from its peers (as _TERN.ADMIN.PAUSE)
//   POST /pub/..., /req/...         with http.bridge: bridge.cc
//
// Lame duck, reload and shutdown are raised as the signals main already
// takes with sigwait(), so they behave exactly as the signals do and
// nothing long runs on the monitor thread.
#include <signal.h>
#include <unistd.h>

#include <algorithm>

#include "base/units.h"
#include "monitor/json.h"
#include "server/cluster/cluster_manager.h"

namespace tern::monitor {
namespace {

using nlohmann::ordered_json;

// Compares every byte whatever the first difference, so the time taken
// says nothing about the token.
bool SameToken(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

Response Accepted(std::string_view action) {
  ordered_json v;
  v["action"] = action;
  v["status"] = "accepted";
  Response r = JsonResponse(v);
  r.status = 202;
  return r;
}

void Record(Monitor& monitor, const Request& request, std::string what) {
  server::Event e;
  e.type = server::Event::Type::kAdmin;
  e.reason = std::move(what) + " (from " + request.peer + ")";
  monitor.server().events().Add(std::move(e));
}

}  // namespace

std::optional<Response> Post(Monitor& monitor, const Request& request, Later later) {
  const std::string& token = monitor.server().options().http.admin_token;
  const std::string_view path = request.target.path;
  const bool admin = path.starts_with(kAdminPrefix), pub = path.starts_with(kPubPrefix),
             req = path.starts_with(kReqPrefix);
  if (!admin && !pub && !req) return PlainText(405, "only the admin actions and the bridge take POST");
  if (token.empty()) return PlainText(403, "admin actions and the bridge are off (set http.admin_token)");
  std::string_view presented = request.authorization;
  if (!StartsWithNoCase(presented, "Bearer ") || !SameToken(presented.substr(7), token)) {
    Response r = PlainText(401, "a valid 'Authorization: Bearer <http.admin_token>' is required");
    r.extra_headers = "WWW-Authenticate: Bearer\r\n";
    return r;
  }
  if (pub || req) {
    if (!monitor.server().options().http.bridge) return PlainText(403, "the bridge is off (set http.bridge)");
    if (pub) return BridgePublish(monitor, request, path.substr(kPubPrefix.size()));
    return BridgeRequest(monitor, request, path.substr(kReqPrefix.size()), std::move(later));
  }
  const std::string_view action = path.substr(kAdminPrefix.size());
  if (action == "lameduck") {
    Record(monitor, request, "lame duck");
    ::kill(::getpid(), SIGUSR2);
    return Accepted(action);
  }
  if (action == "reload") {
    Record(monitor, request, "reload");
    ::kill(::getpid(), SIGHUP);
    return Accepted(action);
  }
  if (action == "shutdown") {
    if (std::string_view g = request.target.Get("grace"); !g.empty()) {
      auto grace = units::ParseDuration(g);
      if (!grace || grace->count() < 0) return BadRequest("invalid grace: " + std::string(g) + " (e.g. 5s)");
      monitor.server().set_requested_grace(std::chrono::duration_cast<std::chrono::milliseconds>(*grace));
    }
    Record(monitor, request, "shutdown");
    ::kill(::getpid(), SIGTERM);
    return Accepted(action);
  }
  if (action == "kick") {
    auto cid = request.target.Uint("cid", 0);
    if (!cid.ok() || *cid == 0) return BadRequest("kick needs cid=<connection id>");
    if (!monitor.server().Kick(*cid)) return PlainText(404, "no open client connection " + std::to_string(*cid));
    Record(monitor, request, "kick cid " + std::to_string(*cid));
    ordered_json v;
    v["action"] = "kick";
    v["cid"] = *cid;
    return JsonResponse(v);
  }
  if (action == "pause" || action == "resume") {
    server::ClusterManager* cluster = monitor.server().cluster();
    if (cluster == nullptr) return PlainText(409, "not in a cluster: nothing to " + std::string(action));
    const bool changed = cluster->SetPaused(action == "pause");
    Record(monitor, request, std::string(action));
    ordered_json v;
    v["action"] = action;
    v["paused"] = cluster->paused();
    v["changed"] = changed;
    return JsonResponse(v);
  }
  return PlainText(404, "unknown admin action: " + std::string(action));
}

}  // namespace tern::monitor
