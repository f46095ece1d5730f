// The HTTP monitoring API of one node: what each path answers, the traffic
// history and its once-a-second sampler, the event log's file, and request
// counts. A monitoring endpoint is a snapshot function plus a thin handler
// (varz.cc, connz.cc, subsz.cc, history_endpoints.cc, metrics.cc), as in
// nats-server's monitor.go.
//
// Threading: everything here runs on the server's monitor worker, a thread
// that owns no client connection (see Server::monitor_worker()). Snapshots of
// connections are taken by each client worker on its own thread
// (server/gather.h) and merged here, so a slow or hostile HTTP client, or a
// big /connz, costs the message path nothing but the snapshot itself.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "monitor/event_file.h"
#include "monitor/query.h"
#include "monitor/traffic.h"
#include "server/server.h"

namespace tern::monitor {

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string extra_headers;  // "Name: value\r\n" each
};

// What the session hands the monitor: the parsed head and the body.
struct Request {
  std::string method;  // "GET", "HEAD", "POST"
  Target target;
  std::string authorization;                        // the Authorization header, as sent
  std::vector<std::pair<std::string, std::string>> headers;  // all of them, for the bridge's Nats-* ones
  std::string body;
  std::string peer;  // ip:port, for the event log
};

// Path constants, nats-server's where it has one.
inline constexpr std::string_view kVarzPath = "/varz";
inline constexpr std::string_view kConnzPath = "/connz";
inline constexpr std::string_view kSubszPath = "/subsz";
inline constexpr std::string_view kSubscriptionszPath = "/subscriptionsz";  // nats-server's alias
inline constexpr std::string_view kRoutezPath = "/routez";
inline constexpr std::string_view kHealthzPath = "/healthz";
inline constexpr std::string_view kLingerzPath = "/lingerz";
inline constexpr std::string_view kMqttzPath = "/mqttz";
inline constexpr std::string_view kEventzPath = "/eventz";
inline constexpr std::string_view kTrafficzPath = "/trafficz";
inline constexpr std::string_view kMetricsPath = "/metrics";
inline constexpr std::string_view kDashboardPrefix = "/dashboard/";  // and "/": the web dashboard
inline constexpr std::string_view kAdminPrefix = "/admin/";  // POST, with http.admin_token
inline constexpr std::string_view kPubPrefix = "/pub/";      // POST, with http.bridge and the token
inline constexpr std::string_view kReqPrefix = "/req/";      // POST, with http.bridge and the token

// Where an answer that is not ready at once goes (POST /req): called once,
// on the monitor thread.
using Later = std::function<void(Response)>;

class Monitor {
 public:
  // Makes `server`'s HTTP listener (http_port) serve this monitor; call
  // before Server::Start(). Destroy the monitor after Server::Shutdown().
  explicit Monitor(server::Server& server);
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // After Server::Start(): starts the sampler on the monitor worker (no-op
  // when the HTTP listener is off).
  void Start();

  // Monitor thread: the answer to `request`, or nullopt when it comes later
  // through `later`. GET/HEAD read the monitoring endpoints; POST is for
  // admin actions (admin.cc) and the bridge (bridge.cc).
  std::optional<Response> Handle(const Request& request, Later later);

  server::Server& server() { return server_; }
  const TrafficHistory& traffic() const { return traffic_; }
  const std::map<std::string, uint64_t>& request_counts() const { return requests_; }
  // HTTP connections open now; the session refuses more than kMaxHttpConnections.
  static constexpr int kMaxHttpConnections = 256;
  int& http_connections() { return http_connections_; }

  // How long a snapshot waits for the client workers (server/gather.h).
  static constexpr std::chrono::milliseconds kGatherTimeout{2000};

 private:
  class Sampler;
  void SampleNow();
  void WriteEvents();

  server::Server& server_;
  TrafficHistory traffic_;
  std::unique_ptr<EventFile> event_file_;
  uint64_t events_written_ = 0;  // last event seq copied to the file
  std::map<std::string, uint64_t> requests_;
  int http_connections_ = 0;
  std::unique_ptr<Sampler> sampler_;
};

// The endpoints. Each returns the JSON body, or a 400 for bad options.
Response Varz(Monitor& monitor, const Target& target);
Response Connz(Monitor& monitor, const Target& target);
Response Subsz(Monitor& monitor, const Target& target);
Response Routez(Monitor& monitor, const Target& target);
Response Healthz(Monitor& monitor, const Target& target);
Response Lingerz(Monitor& monitor, const Target& target);
Response Mqttz(Monitor& monitor, const Target& target);
Response Eventz(Monitor& monitor, const Target& target);
Response Trafficz(Monitor& monitor, const Target& target);
Response Metrics(Monitor& monitor, const Target& target);

// The dashboard's file for `path` ("/" is index.html); false if none.
bool DashboardFile(std::string_view path, Response* response);

// POST: /admin/{lameduck,reload,shutdown,kick,pause,resume} and the bridge;
// checks the token and http.bridge.
std::optional<Response> Post(Monitor& monitor, const Request& request, Later later);
// The bridge, once Post() has let the request through.
Response BridgePublish(Monitor& monitor, const Request& request, std::string_view subject);
std::optional<Response> BridgeRequest(Monitor& monitor, const Request& request, std::string_view subject,
                                      Later later);

// A 400 with nats-server's plain-text error body.
Response BadRequest(std::string message);
Response PlainText(int status, std::string message);

}  // namespace tern::monitor
