// The client's half of the opening handshake: builds the upgrade request
// and checks the server's response as it arrives (RFC 6455 section 4.1).
// The caller supplies the random nonce so the codec stays deterministic.
//
//   auto hs = ClientHandshake::Create(options, nonce);
//   write(hs->request());
//   HandshakeResult r = hs->Feed(bytes);  // until kDone or kError
//   kDone: frames start at bytes[r.consumed].
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "proto/ws/deflate_params.h"
#include "proto/ws/handshake.h"
#include "proto/ws/http_head.h"

namespace tern::proto::ws {

struct ClientOptions {
  std::string host;                       // the Host header: host[:port] as in the URL
  std::string path = "/";                 // request target: path and query
  std::string origin;                     // empty: no Origin header
  std::vector<std::string> subprotocols;  // offered in this order of preference
  bool compression = false;               // offer permessage-deflate
  DeflateParams deflate;                  // what the offer asks for
  // More request headers (Authorization, a cookie, ...).
  std::vector<std::pair<std::string, std::string>> headers;
  size_t max_response_size = kDefaultMaxHandshake;
};

class ClientHandshake {
 public:
  // Fails when an option would break the request: an empty host, a path not
  // starting with '/', or a CR, LF or NUL in any value.
  static base::Result<ClientHandshake> Create(ClientOptions options, const std::array<uint8_t, 16>& nonce);

  ClientHandshake(ClientHandshake&&) = default;
  ClientHandshake& operator=(ClientHandshake&&) = default;

  const std::string& request() const { return request_; }
  HandshakeResult Feed(std::string_view data);

  // After kError: why, and the server's HTTP status when it sent a valid
  // status line (0 otherwise).
  std::string_view error() const { return error_; }
  int status_code() const { return status_code_; }
  // After kDone.
  const std::string& subprotocol() const { return subprotocol_; }  // empty: none
  const std::optional<DeflateParams>& deflate() const { return deflate_; }

 private:
  ClientHandshake(ClientOptions options, std::string key);
  HandshakeResult Finish(size_t consumed);
  HandshakeResult Fail(std::string_view error, size_t consumed);

  ClientOptions options_;
  std::string key_;
  std::string request_;
  HeadReader reader_;
  std::string_view error_;
  int status_code_ = 0;
  std::string subprotocol_;
  std::optional<DeflateParams> deflate_;
  bool finished_ = false;
};

}  // namespace tern::proto::ws
