// The server's half of the opening handshake: reads a client's HTTP/1.1
// upgrade request as it arrives, checks it against the listener's policy and
// produces the exact bytes to answer with, a 101 or an error response.
//
//   ServerHandshake hs(&policy);
//   HandshakeResult r = hs.Feed(bytes);   // until kDone or kError
//   write(hs.response());                 // either way
//   kDone: frames start at bytes[r.consumed]; kError: close after writing.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/ws/deflate_params.h"
#include "proto/ws/handshake.h"
#include "proto/ws/http_head.h"

namespace tern::proto::ws {

// One listener's rules; shared by all its connections.
struct ServerPolicy {
  // Subprotocols the server speaks. It picks the first one the client
  // offers that is in this list (e.g. {"mqtt"} at /mqtt).
  std::vector<std::string> subprotocols;
  bool require_subprotocol = false;  // refuse (400) a client that offers none of them
  std::string path;                  // the only request path accepted (e.g. "/mqtt"); empty: any
  // Origin checks, as nats-server does them: a request without an Origin
  // header (not from a browser) passes both.
  bool same_origin = false;                  // Origin's host[:port] must equal Host's
  std::vector<std::string> allowed_origins;  // if any, Origin must be one of these scheme://host[:port]
  bool tls = false;                          // the listener is wss: a Host without port means 443
  bool allow_compression = false;            // accept a permessage-deflate offer
  DeflateParams deflate;                     // what to ask for when accepting one
  size_t max_request_size = kDefaultMaxHandshake;
};

class ServerHandshake {
 public:
  // `policy` must outlive the handshake.
  explicit ServerHandshake(const ServerPolicy* policy);
  // The parsed request points into the handshake's own buffer.
  ServerHandshake(const ServerHandshake&) = delete;
  ServerHandshake& operator=(const ServerHandshake&) = delete;

  HandshakeResult Feed(std::string_view data);

  // The bytes to send: the 101 after kDone, the error response after kError.
  const std::string& response() const { return response_; }
  // After kError: the HTTP status sent and a short reason (also the body).
  int status_code() const { return status_code_; }
  std::string_view error() const { return error_; }

  // After kDone (views into the handshake's own copy of the request).
  std::string_view path() const { return path_; }                  // without the query
  std::string_view query() const { return query_; }                // after '?', empty when none
  std::string_view host() const { return host_; }                  // the Host header
  std::string_view origin() const { return origin_; }              // empty when absent
  const std::string& subprotocol() const { return subprotocol_; }  // empty: none chosen
  const std::optional<DeflateParams>& deflate() const { return deflate_; }
  // Any request header (first occurrence, name ignoring case), e.g. a cookie
  // or X-Forwarded-For; empty when absent.
  std::string_view header(std::string_view name) const { return head_.Get(name); }

 private:
  HandshakeResult Finish(size_t consumed);
  HandshakeResult Reject(int status, std::string_view reason, size_t consumed);
  bool CheckOrigin() const;
  void BuildAccept(std::string_view key, std::string_view extension);

  const ServerPolicy* policy_;
  HeadReader reader_;
  ParsedHead head_;
  std::string response_;
  int status_code_ = 0;
  std::string_view error_;
  std::string_view path_;
  std::string_view query_;
  std::string_view host_;
  std::string_view origin_;
  std::string subprotocol_;
  std::optional<DeflateParams> deflate_;
  bool finished_ = false;
};

}  // namespace tern::proto::ws
