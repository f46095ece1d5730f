// The route handshake: the INFO both ends send when a route opens, and
// again when what it says changes (a peer joined or left, lame duck). The
// one translation unit of the route codec that includes a JSON library.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tern::proto::route {

// Bumped when a change to the route protocol would be misread by a node of
// the previous version; peers with another version are refused with -ERR.
inline constexpr int kRouteProtocolVersion = 1;

struct RouteInfo {
  std::string server_id;
  std::string server_name;
  std::string cluster;  // cluster name; routes between different clusters are refused
  std::string version;  // tern's release, for logs
  int route_protocol = kRouteProtocolVersion;
  std::string route_url;                  // where peers dial this node (cluster.advertise or the listener)
  std::vector<std::string> connect_urls;  // this node's client URLs (host:port), passed on to clients
  std::vector<std::string> routes;        // route URLs of the peers this node is connected to (gossip)
  bool auth_required = false;             // the dialler must send CONNECT with the cluster's credentials
  bool lame_duck = false;                 // stopping: send it no queue work
  bool paused = false;                    // paused by an admin: no queue work either, until resumed
};

// What a dialler sends after the peer's INFO said auth_required
// (nats-server's route CONNECT, of which tern uses the credentials).
struct RouteConnect {
  std::string user;
  std::string pass;
  std::string name;  // the dialler's server name, for the peer's logs
};

// "INFO {json}\r\n".
std::string EncodeInfo(const RouteInfo& info);
// False with a reason when `json` is not an INFO object or a field has the
// wrong type; unknown fields are ignored so later versions can add some.
bool ParseInfo(std::string_view json, RouteInfo* out, std::string* error);
// "CONNECT {json}\r\n", and back; unknown fields are ignored.
std::string EncodeConnect(const RouteConnect& connect);
bool ParseConnect(std::string_view json, RouteConnect* out, std::string* error);

}  // namespace tern::proto::route
