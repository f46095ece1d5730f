#include "proto/ws/server_handshake.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tern::proto::ws {
namespace {

// RFC 6455 section 1.2's request, with the RFC's key.
const std::string kRequest =
    "GET /chat HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Origin: http://example.com\r\n"
    "Sec-WebSocket-Protocol: chat, superchat\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

struct Outcome {
  HandshakeStatus status = HandshakeStatus::kNeedMore;
  size_t consumed = 0;  // in all
  std::string response;
  int status_code = 0;
  std::string subprotocol;
  std::optional<DeflateParams> deflate;

  bool operator==(const Outcome&) const = default;
};

// Feeds `input` cut at `cuts` until the handshake is done or fails.
Outcome Handshake(std::string_view input, const ServerPolicy& policy, const std::vector<size_t>& cuts = {}) {
  ServerHandshake hs(&policy);
  Outcome run;
  size_t start = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    const size_t end = i < cuts.size() ? cuts[i] : input.size();
    std::string chunk(input.substr(start, end - start));
    const HandshakeResult r = hs.Feed(chunk);
    std::fill(chunk.begin(), chunk.end(), '#');
    run.status = r.status;
    run.consumed += r.consumed;
    if (r.status != HandshakeStatus::kNeedMore) break;
    EXPECT_EQ(r.consumed, chunk.size());
    start = end;
  }
  run.response = hs.response();
  run.status_code = hs.status_code();
  run.subprotocol = hs.subprotocol();
  run.deflate = hs.deflate();
  return run;
}

Outcome Handshake(std::string_view input) { return Handshake(input, ServerPolicy{}); }

std::string Replace(std::string s, std::string_view from, std::string_view to) {
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

TEST(ServerHandshakeTest, RfcRequestAccepted) {
  ServerPolicy policy;
  policy.subprotocols = {"chat"};
  ServerHandshake hs(&policy);
  const HandshakeResult r = hs.Feed(kRequest);
  ASSERT_EQ(r.status, HandshakeStatus::kDone);
  EXPECT_EQ(r.consumed, kRequest.size());
  EXPECT_EQ(hs.response(),
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            "Sec-WebSocket-Protocol: chat\r\n"
            "\r\n");
  EXPECT_EQ(hs.path(), "/chat");
  EXPECT_EQ(hs.host(), "server.example.com");
  EXPECT_EQ(hs.origin(), "http://example.com");
  EXPECT_EQ(hs.subprotocol(), "chat");
  EXPECT_EQ(hs.header("sec-websocket-protocol"), "chat, superchat");
  EXPECT_FALSE(hs.deflate());
}

// Whatever the split, the same answer, and frames right behind the request
// are left for the frame decoder.
TEST(ServerHandshakeTest, EverySplitPoint) {
  ServerPolicy policy;
  policy.subprotocols = {"superchat"};
  policy.allow_compression = true;
  const std::string request =
      Replace(kRequest, "\r\n\r\n", "\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n");
  const std::string input = request +
                            "\x81\x85"
                            "frame";
  const Outcome want = Handshake(input, policy);
  ASSERT_EQ(want.status, HandshakeStatus::kDone);
  EXPECT_EQ(want.consumed, request.size());
  EXPECT_EQ(want.subprotocol, "superchat");
  EXPECT_NE(want.response.find("Sec-WebSocket-Extensions: permessage-deflate\r\n"), std::string::npos);
  for (size_t i = 1; i < input.size(); ++i) ASSERT_EQ(Handshake(input, policy, {i}), want) << i;
  std::vector<size_t> bytes;
  for (size_t i = 1; i < input.size(); ++i) bytes.push_back(i);
  EXPECT_EQ(Handshake(input, policy, bytes), want);
}

TEST(ServerHandshakeTest, HeadersIgnoreCaseAndTakeTokenLists) {
  const std::string request =
      "GET / HTTP/1.1\r\n"
      "host: localhost:8080\r\n"
      "UPGRADE: WebSocket\r\n"
      "connection: keep-alive, Upgrade\r\n"
      "SEC-WEBSOCKET-KEY: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "sec-websocket-version:13\r\n"
      "\r\n";
  EXPECT_EQ(Handshake(request).status, HandshakeStatus::kDone);
  // Connection split over two lines, Upgrade listing several protocols,
  // bare LF line ends, blank lines before the request line.
  const std::string lf =
      "\r\n\nGET / HTTP/1.1\n"
      "Host: h\n"
      "Upgrade: h2c, websocket\n"
      "Connection: keep-alive\n"
      "Connection:  upgrade \n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\n"
      "Sec-WebSocket-Version: 13\n"
      "\n";
  const Outcome run = Handshake(lf);
  EXPECT_EQ(run.status, HandshakeStatus::kDone);
  EXPECT_EQ(run.consumed, lf.size());
}

struct Refusal {
  std::string request;
  int status;
};

TEST(ServerHandshakeTest, RefusesBadRequests) {
  const std::vector<Refusal> cases = {
      {Replace(kRequest, "GET", "POST"), 405},
      {Replace(kRequest, "HTTP/1.1", "HTTP/1.0"), 400},
      {Replace(kRequest, "GET /chat HTTP/1.1", "GET  /chat HTTP/1.1"), 400},
      {Replace(kRequest, "GET /chat HTTP/1.1", "GET /chat"), 400},
      {Replace(kRequest, "/chat", "chat"), 400},
      {Replace(kRequest, "Host: server.example.com\r\n", ""), 400},
      {Replace(kRequest, "Host: server.example.com\r\n", "Host: a\r\nHost: b\r\n"), 400},
      {Replace(kRequest, "Upgrade: websocket\r\n", ""), 400},
      {Replace(kRequest, "Upgrade: websocket", "Upgrade: h2c"), 400},
      {Replace(kRequest, "Connection: Upgrade", "Connection: keep-alive"), 400},
      {Replace(kRequest, "Connection: Upgrade\r\n", ""), 400},
      {Replace(kRequest, "Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8"), 426},
      {Replace(kRequest, "Sec-WebSocket-Version: 13\r\n", ""), 426},
      {Replace(kRequest, "Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 13"), 426},
      {Replace(kRequest, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""), 400},
      {Replace(kRequest, "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ="), 400},
      {Replace(kRequest, "dGhlIHNhbXBsZSBub25jZQ==", "not base64 at all!!!!!=="), 400},
      {Replace(kRequest, "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ=="), 400},
      {Replace(kRequest, "Origin:", "Origin :"), 400},
      {Replace(kRequest, "Origin:", " Origin:"), 400},
      {Replace(kRequest, "Origin: http", "Origin http"), 400},
      {Replace(kRequest, "example.com\r\nSec", "exa\rmple.com\r\nSec"), 400},
      {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15), 400},  // TLS to a plain port
  };
  for (const Refusal& c : cases) {
    const Outcome run = Handshake(c.request);
    EXPECT_EQ(run.status, HandshakeStatus::kError) << c.request;
    EXPECT_EQ(run.status_code, c.status) << c.request;
    EXPECT_EQ(run.response.rfind("HTTP/1.1 " + std::to_string(c.status) + " ", 0), 0u) << run.response;
    EXPECT_NE(run.response.find("\r\nConnection: close\r\n"), std::string::npos);
  }
}

TEST(ServerHandshakeTest, ErrorResponseBytes) {
  ServerPolicy policy;
  ServerHandshake hs(&policy);
  ASSERT_EQ(hs.Feed(Replace(kRequest, "Version: 13", "Version: 7")).status, HandshakeStatus::kError);
  EXPECT_EQ(hs.response(),
            "HTTP/1.1 426 Upgrade Required\r\n"
            "Upgrade: websocket\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 34\r\n"
            "Connection: close\r\n"
            "\r\n"
            "Sec-WebSocket-Version 13 required\n");
  EXPECT_EQ(hs.error(), "Sec-WebSocket-Version 13 required");
  // Once decided, more bytes change nothing.
  EXPECT_EQ(hs.Feed(kRequest).status, HandshakeStatus::kError);
}

TEST(ServerHandshakeTest, OversizedRequest) {
  ServerPolicy policy;
  policy.max_request_size = 512;
  const std::string big = Replace(kRequest, "\r\n\r\n", "\r\nCookie: " + std::string(600, 'c') + "\r\n\r\n");
  const Outcome whole = Handshake(big, policy);
  EXPECT_EQ(whole.status, HandshakeStatus::kError);
  EXPECT_EQ(whole.status_code, 431);
  std::vector<size_t> bytes;
  for (size_t i = 1; i < big.size(); ++i) bytes.push_back(i);
  const Outcome split = Handshake(big, policy, bytes);
  EXPECT_EQ(split.status_code, 431);
  EXPECT_EQ(split.consumed, 512u);
  EXPECT_EQ(whole.consumed, 512u);
  for (size_t i = 1; i < big.size(); ++i) ASSERT_EQ(Handshake(big, policy, {i}), whole) << i;
  // A head that never ends fails too, at the limit.
  EXPECT_EQ(Handshake(std::string(600, 'G'), policy).status_code, 431);
  // Just under the limit is fine.
  ServerPolicy exact;
  exact.max_request_size = kRequest.size();
  EXPECT_EQ(Handshake(kRequest, exact).status, HandshakeStatus::kDone);
  exact.max_request_size = kRequest.size() - 1;
  EXPECT_EQ(Handshake(kRequest, exact).status_code, 431);
}

TEST(ServerHandshakeTest, PathCheck) {
  ServerPolicy policy;
  policy.path = "/mqtt";
  EXPECT_EQ(Handshake(kRequest, policy).status_code, 404);
  EXPECT_EQ(Handshake(Replace(kRequest, "/chat", "/mqtt"), policy).status, HandshakeStatus::kDone);
  EXPECT_EQ(Handshake(Replace(kRequest, "/chat", "/mqtt?client=1"), policy).status, HandshakeStatus::kDone);
  EXPECT_EQ(Handshake(Replace(kRequest, "/chat", "/mqtt/x"), policy).status_code, 404);
  EXPECT_EQ(Handshake(Replace(kRequest, "/chat", "ws://server.example.com/mqtt"), policy).status,
            HandshakeStatus::kDone);
  ServerHandshake hs(&policy);
  ASSERT_EQ(hs.Feed(Replace(kRequest, "/chat", "/mqtt?a=b&c")).status, HandshakeStatus::kDone);
  EXPECT_EQ(hs.path(), "/mqtt");
  EXPECT_EQ(hs.query(), "a=b&c");
}

TEST(ServerHandshakeTest, SubprotocolSelection) {
  ServerPolicy policy;
  policy.subprotocols = {"mqtt", "superchat"};
  // The client's order decides: the first it offers that the server speaks.
  EXPECT_EQ(Handshake(kRequest, policy).subprotocol, "superchat");
  EXPECT_EQ(Handshake(Replace(kRequest, "chat, superchat", "mqtt, superchat"), policy).subprotocol, "mqtt");
  EXPECT_EQ(
      Handshake(Replace(kRequest, "chat, superchat", "superchat\r\nSec-WebSocket-Protocol: mqtt"), policy).subprotocol,
      "superchat");
  EXPECT_EQ(Handshake(Replace(kRequest, "chat, superchat", "MQTT"), policy).subprotocol, "");  // exact names
  const Outcome none = Handshake(Replace(kRequest, "chat, superchat", "chat"), policy);
  EXPECT_EQ(none.status, HandshakeStatus::kDone);
  EXPECT_EQ(none.response.find("Sec-WebSocket-Protocol"), std::string::npos);
  policy.require_subprotocol = true;
  EXPECT_EQ(Handshake(Replace(kRequest, "chat, superchat", "chat"), policy).status_code, 400);
  EXPECT_EQ(Handshake(Replace(kRequest, "Sec-WebSocket-Protocol: chat, superchat\r\n", ""), policy).status_code, 400);
  EXPECT_EQ(Handshake(Replace(kRequest, "chat, superchat", "x, mqtt"), policy)
                    .response.find("Sec-WebSocket-Protocol: mqtt\r\n") != std::string::npos,
            true);
}

TEST(ServerHandshakeTest, OriginChecks) {
  auto with = [](std::string_view host, std::string_view origin) {
    std::string r = Replace(kRequest, "Host: server.example.com", "Host: " + std::string(host));
    return origin.empty() ? Replace(r, "Origin: http://example.com\r\n", "")
                          : Replace(r, "http://example.com", std::string(origin));
  };
  ServerPolicy same;
  same.same_origin = true;
  EXPECT_EQ(Handshake(with("example.com", "http://example.com"), same).status, HandshakeStatus::kDone);
  EXPECT_EQ(Handshake(with("Example.COM:80", "http://example.com"), same).status, HandshakeStatus::kDone);
  EXPECT_EQ(Handshake(with("example.com:8080", "http://example.com:8080"), same).status, HandshakeStatus::kDone);
  EXPECT_EQ(Handshake(with("[::1]:8080", "http://[::1]:8080"), same).status, HandshakeStatus::kDone);
  EXPECT_EQ(Handshake(with("example.com", "http://other.com"), same).status_code, 403);
  EXPECT_EQ(Handshake(with("example.com:8080", "http://example.com"), same).status_code, 403);
  EXPECT_EQ(Handshake(with("example.com", "https://example.com"), same).status_code, 403);  // 443 vs 80
  EXPECT_EQ(Handshake(with("example.com", "null"), same).status_code, 403);
  EXPECT_EQ(Handshake(with("example.com", ""), same).status, HandshakeStatus::kDone);  // not a browser
  ServerPolicy secure = same;
  secure.tls = true;
  EXPECT_EQ(Handshake(with("example.com", "https://example.com"), secure).status, HandshakeStatus::kDone);

  ServerPolicy allowed;
  allowed.allowed_origins = {"https://app.example.com", "http://localhost:3000/"};
  EXPECT_EQ(Handshake(with("h", "https://app.example.com"), allowed).status, HandshakeStatus::kDone);
  EXPECT_EQ(Handshake(with("h", "https://app.example.com:443"), allowed).status, HandshakeStatus::kDone);
  EXPECT_EQ(Handshake(with("h", "http://localhost:3000"), allowed).status, HandshakeStatus::kDone);
  EXPECT_EQ(Handshake(with("h", "http://app.example.com"), allowed).status_code, 403);
  EXPECT_EQ(Handshake(with("h", "https://evil.example.com"), allowed).status_code, 403);
  EXPECT_EQ(Handshake(with("h", "http://localhost:3001"), allowed).status_code, 403);
  EXPECT_EQ(Handshake(with("h", ""), allowed).status, HandshakeStatus::kDone);
  // Both rules at once must both hold.
  allowed.same_origin = true;
  EXPECT_EQ(Handshake(with("app.example.com:443", "https://app.example.com"), allowed).status, HandshakeStatus::kDone);
  EXPECT_EQ(Handshake(with("h", "https://app.example.com"), allowed).status_code, 403);
}

TEST(ServerHandshakeTest, Compression) {
  const std::string offer = Replace(kRequest, "\r\n\r\n",
                                    "\r\nSec-WebSocket-Extensions: foo, permessage-deflate; server_max_window_bits=8, "
                                    "permessage-deflate; client_max_window_bits\r\n\r\n");
  ServerPolicy off;
  Outcome run = Handshake(offer, off);
  EXPECT_EQ(run.status, HandshakeStatus::kDone);
  EXPECT_FALSE(run.deflate);
  EXPECT_EQ(run.response.find("Extensions"), std::string::npos);
  ServerPolicy on;
  on.allow_compression = true;
  on.deflate.server_no_context_takeover = true;
  on.deflate.client_no_context_takeover = true;
  run = Handshake(offer, on);
  ASSERT_TRUE(run.deflate);
  EXPECT_TRUE(run.deflate->server_no_context_takeover);
  EXPECT_NE(run.response.find("\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; "
                              "client_no_context_takeover\r\n"),
            std::string::npos);
  // Declined offers leave the connection uncompressed, not refused.
  run = Handshake(Replace(kRequest, "\r\n\r\n", "\r\nSec-WebSocket-Extensions: permessage-deflate; bogus\r\n\r\n"), on);
  EXPECT_EQ(run.status, HandshakeStatus::kDone);
  EXPECT_FALSE(run.deflate);
}

}  // namespace
}  // namespace tern::proto::ws
