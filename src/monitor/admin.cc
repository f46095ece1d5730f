// POST actions, off unless http.admin_token is set, each refused without
// "Authorization: Bearer <token>" (the systems tern replaces serve these
// unauthenticated; tern does not):
//
//   POST /admin/lameduck            lame duck, as SIGUSR2, then exit
//   POST /admin/reload              re-read the config file, as SIGHUP
//   POST /admin/shutdown?grace=5s   flush clients for `grace` (default
//                                   shutdown_grace) and exit, as SIGTERM
//   POST /admin/kick?cid=N          close client connection N ("Kicked")
//   POST /pub/{subject}             with http.bridge: publish the body;
//                                   Nats-* and X-Tern-* headers become
//                                   message headers
//
// Lame duck, reload and shutdown are raised as the signals main already
// takes with sigwait(), so they behave exactly as the signals do and
// nothing long runs on the monitor thread.
#include <signal.h>
#include <unistd.h>

#include <algorithm>

#include "base/units.h"
#include "monitor/json.h"
#include "proto/subject.h"
#include "server/worker.h"

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

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
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

Response Publish(Monitor& monitor, const Request& request, std::string_view subject) {
  if (!proto::IsValidLiteralSubject(subject)) return BadRequest("invalid subject: " + std::string(subject));
  std::string headers;
  for (const auto& [name, value] : request.headers) {
    if (StartsWithNoCase(name, "Nats-") || StartsWithNoCase(name, "X-Tern-")) {
      if (headers.empty()) headers = "NATS/1.0\r\n";
      headers += name + ": " + value + "\r\n";
    }
  }
  if (!headers.empty()) headers += "\r\n";
  const std::string reply(request.target.Get("reply"));
  core::Message msg{subject, reply, headers, request.body};
  server::Worker* worker = server::Worker::Current();
  core::PublishResult result =
      monitor.server().router().Publish(worker->router_thread(), msg, core::Origin::System());
  ordered_json v;
  v["subject"] = subject;
  v["bytes"] = request.body.size();
  v["delivered"] = result.delivered;
  return JsonResponse(v);
}

}  // namespace

Response Post(Monitor& monitor, const Request& request) {
  const std::string& token = monitor.server().options().http.admin_token;
  const std::string_view path = request.target.path;
  const bool admin = path.starts_with(kAdminPrefix), pub = path.starts_with(kPubPrefix);
  if (!admin && !pub) return PlainText(405, "only the admin actions and the bridge take POST");
  if (token.empty()) return PlainText(403, "admin actions and the bridge are off (set http.admin_token)");
  std::string_view presented = request.authorization;
  if (!StartsWithNoCase(presented, "Bearer ") || !SameToken(presented.substr(7), token)) {
    Response r = PlainText(401, "a valid 'Authorization: Bearer <http.admin_token>' is required");
    r.extra_headers = "WWW-Authenticate: Bearer\r\n";
    return r;
  }
  if (pub) {
    if (!monitor.server().options().http.bridge) return PlainText(403, "the bridge is off (set http.bridge)");
    return Publish(monitor, request, path.substr(kPubPrefix.size()));
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
  return PlainText(404, "unknown admin action: " + std::string(action));
}

}  // namespace tern::monitor
