// The two JSON bodies of the NATS client protocol: CONNECT (client -> server)
// and INFO (server -> client). connect_info.cc is the only translation unit
// that includes a JSON library; both run once per connection, off the hot path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tern::proto::nats {

// What a client may say in CONNECT. The defaults are nats-server's own for a
// client that leaves a field out (server/client.go defaultOpts): verbose and
// pedantic are ON unless the client turns them off, echo is on.
struct ConnectOptions {
  bool verbose = true;
  bool pedantic = true;
  bool echo = true;
  bool headers = false;
  bool no_responders = false;
  bool tls_required = false;
  std::string name;
  std::string lang;
  std::string version;
  int64_t protocol = 0;
  std::string user;
  std::string pass;
  std::string auth_token;
  std::string jwt;
  std::string nkey;
  std::string sig;
  // nats-server rejects both with 'Authorization Violation' (dynamic accounts
  // are gone); kept so the server can do the same.
  std::string account;
  bool new_account = false;
  // tern: PINGs are answered only once every peer node has the interest
  // this client set up before them (docs/clustering.md). nats-server
  // ignores the field.
  bool interest_barrier = false;
};

// Decodes a CONNECT body into *out the way Go's encoding/json does for
// nats-server: keys match case-insensitively, unknown keys are ignored, null
// leaves a field as it was, fields not present keep the value *out already
// holds (start from a default ConnectOptions). Returns false with a message in
// *error (for the log; nats-server sends no -ERR and closes the connection
// silently) when the text is not JSON, has trailing data, is not an object or
// null, or a known field has the wrong type (e.g. "verbose":"yes", "protocol":1.5).
bool ParseConnect(std::string_view json, ConnectOptions* out, std::string* error);

// "CONNECT {json}\r\n" as client libraries send it (auth fields only when set).
std::string EncodeConnect(const ConnectOptions& options);

// The INFO a server sends on accept (and again when something changes: cluster
// URLs, lame-duck mode). Field names and order are nats-server's; the ones it
// marks omitempty are left out when empty/false/zero.
struct ServerInfo {
  std::string server_id;
  std::string server_name;
  std::string version;
  int proto = 1;
  std::string git_commit;  // omitempty
  std::string go;          // nats clients read it; nats-server puts its Go version here
  std::string host;
  int port = 0;
  bool headers = true;
  bool auth_required = false;  // omitempty
  bool tls_required = false;   // omitempty
  bool tls_verify = false;     // omitempty
  bool tls_available = false;  // omitempty
  int64_t max_payload = 1024 * 1024;
  std::string ip;                         // omitempty
  uint64_t client_id = 0;                 // omitempty
  std::string client_ip;                  // omitempty
  std::string nonce;                      // omitempty
  std::string cluster;                    // omitempty
  std::string domain;                     // omitempty
  std::vector<std::string> connect_urls;  // omitempty
  bool ldm = false;                       // omitempty: lame-duck mode
  bool interest_barrier = false;          // omitempty: tern; CONNECT may ask for the barrier
};

// "INFO {json} \r\n". The blank before CRLF is what nats-server sends.
std::string EncodeInfo(const ServerInfo& info);

// The reverse, for clients and tests; same tolerance as ParseConnect.
bool ParseInfo(std::string_view json, ServerInfo* out, std::string* error);

}  // namespace tern::proto::nats
