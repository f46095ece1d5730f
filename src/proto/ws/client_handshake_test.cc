#include "proto/ws/client_handshake.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proto/ws/server_handshake.h"

namespace tern::proto::ws {
namespace {

const std::array<uint8_t, 16> kNonce = {'t', 'h', 'e', ' ', 's', 'a', 'm', 'p', 'l', 'e', ' ', 'n', 'o', 'n', 'c', 'e'};

// RFC 6455 section 1.2's response to the key made from kNonce.
const std::string kResponse =
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    "Sec-WebSocket-Protocol: chat\r\n"
    "\r\n";

ClientOptions ChatOptions() {
  ClientOptions o;
  o.host = "server.example.com";
  o.path = "/chat";
  o.origin = "http://example.com";
  o.subprotocols = {"chat", "superchat"};
  return o;
}

ClientHandshake Make(ClientOptions options = ChatOptions()) {
  auto hs = ClientHandshake::Create(std::move(options), kNonce);
  EXPECT_TRUE(hs.ok()) << hs.message();
  return std::move(hs).value();
}

std::string Replace(std::string s, std::string_view from, std::string_view to) {
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

TEST(ClientHandshakeTest, RequestBytes) {
  ClientOptions o = ChatOptions();
  o.headers = {{"Authorization", "Bearer x"}};
  EXPECT_EQ(Make(o).request(),
            "GET /chat HTTP/1.1\r\n"
            "Host: server.example.com\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "Origin: http://example.com\r\n"
            "Sec-WebSocket-Protocol: chat, superchat\r\n"
            "Authorization: Bearer x\r\n"
            "\r\n");
  ClientOptions minimal;
  minimal.host = "localhost:8080";
  minimal.compression = true;
  EXPECT_EQ(Make(minimal).request(),
            "GET / HTTP/1.1\r\n"
            "Host: localhost:8080\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
            "\r\n");
}

TEST(ClientHandshakeTest, RefusesOptionsThatBreakTheRequest) {
  auto bad = [](auto edit) {
    ClientOptions o = ChatOptions();
    edit(o);
    return !ClientHandshake::Create(o, kNonce).ok();
  };
  EXPECT_TRUE(bad([](ClientOptions& o) { o.host.clear(); }));
  EXPECT_TRUE(bad([](ClientOptions& o) { o.host = "a\r\nX-Evil: 1"; }));
  EXPECT_TRUE(bad([](ClientOptions& o) { o.path = "chat"; }));
  EXPECT_TRUE(bad([](ClientOptions& o) { o.path = "/a b"; }));
  EXPECT_TRUE(bad([](ClientOptions& o) { o.origin = "x\ny"; }));
  EXPECT_TRUE(bad([](ClientOptions& o) { o.subprotocols = {"a,b"}; }));
  EXPECT_TRUE(bad([](ClientOptions& o) { o.headers = {{"Bad Name", "v"}}; }));
  EXPECT_TRUE(bad([](ClientOptions& o) { o.headers = {{"X", std::string("v\0w", 3)}}; }));
}

struct Outcome {
  HandshakeStatus status;
  size_t consumed = 0;
  std::string error;
  int status_code = 0;
  std::string subprotocol;
  bool operator==(const Outcome&) const = default;
};

Outcome Feed(std::string_view input, const std::vector<size_t>& cuts = {}, ClientOptions options = ChatOptions()) {
  ClientHandshake hs = Make(std::move(options));
  Outcome run{HandshakeStatus::kNeedMore};
  size_t start = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    const size_t end = i < cuts.size() ? cuts[i] : input.size();
    const HandshakeResult r = hs.Feed(input.substr(start, end - start));
    run.status = r.status;
    run.consumed += r.consumed;
    if (r.status != HandshakeStatus::kNeedMore) break;
    start = end;
  }
  run.error = std::string(hs.error());
  run.status_code = hs.status_code();
  run.subprotocol = hs.subprotocol();
  return run;
}

TEST(ClientHandshakeTest, AcceptsRfcResponseAtEverySplit) {
  const std::string input = kResponse +
                            "\x81\x05"
                            "Hello";
  const Outcome want = Feed(input);
  ASSERT_EQ(want.status, HandshakeStatus::kDone) << want.error;
  EXPECT_EQ(want.consumed, kResponse.size());
  EXPECT_EQ(want.subprotocol, "chat");
  EXPECT_EQ(want.status_code, 101);
  std::vector<size_t> bytes;
  for (size_t i = 1; i < input.size(); ++i) {
    ASSERT_EQ(Feed(input, {i}), want) << i;
    bytes.push_back(i);
  }
  EXPECT_EQ(Feed(input, bytes), want);
}

TEST(ClientHandshakeTest, RefusesBadResponses) {
  const std::vector<std::string> bad = {
      Replace(kResponse, "101 Switching Protocols", "200 OK"),
      Replace(kResponse, "HTTP/1.1 101", "HTTP/1.0 101"),
      Replace(kResponse, "HTTP/1.1 101", "HTTP/1.1 1O1"),
      Replace(kResponse, "Upgrade: websocket\r\n", ""),
      Replace(kResponse, "Connection: Upgrade\r\n", ""),
      Replace(kResponse, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "s3pPLMBiTxaQ9kYGzzhZRbK+xOp="),
      Replace(kResponse, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", ""),
      Replace(kResponse, "Protocol: chat", "Protocol: mqtt"),
      Replace(kResponse, "Protocol: chat", "Protocol: chat, superchat"),
      Replace(kResponse, "\r\n\r\n", "\r\nSec-WebSocket-Protocol: superchat\r\n\r\n"),
      Replace(kResponse, "\r\n\r\n", "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"),  // not offered
  };
  for (const std::string& r : bad) {
    const Outcome run = Feed(r);
    EXPECT_EQ(run.status, HandshakeStatus::kError) << r;
    EXPECT_FALSE(run.error.empty());
  }
  EXPECT_EQ(Feed(Replace(kResponse, "101 Switching Protocols", "403 Forbidden")).status_code, 403);
  // Header names and values ignore case; a reason phrase is optional.
  EXPECT_EQ(Feed("HTTP/1.1 101\r\nupgrade: WebSocket\r\nconnection: upgrade\r\n"
                 "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
                .status,
            HandshakeStatus::kDone);
  // No subprotocol chosen is allowed.
  EXPECT_EQ(Feed(Replace(kResponse, "Sec-WebSocket-Protocol: chat\r\n", "")).status, HandshakeStatus::kDone);
  ClientOptions small = ChatOptions();
  small.max_response_size = 64;
  EXPECT_EQ(Feed(kResponse, {}, small).status, HandshakeStatus::kError);
}

TEST(ClientHandshakeTest, CompressionResponse) {
  ClientOptions o = ChatOptions();
  o.compression = true;
  const std::string with = Replace(
      kResponse, "\r\n\r\n", "\r\nSec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n\r\n");
  ClientHandshake hs = Make(o);
  ASSERT_EQ(hs.Feed(with).status, HandshakeStatus::kDone);
  ASSERT_TRUE(hs.deflate());
  EXPECT_EQ(hs.deflate()->server_max_window_bits, 10);
  EXPECT_EQ(Feed(Replace(kResponse, "\r\n\r\n", "\r\nSec-WebSocket-Extensions: permessage-deflate; x=1\r\n\r\n"), {}, o)
                .status,
            HandshakeStatus::kError);
  ClientHandshake plain = Make(o);
  ASSERT_EQ(plain.Feed(kResponse).status, HandshakeStatus::kDone);  // the server may decline
  EXPECT_FALSE(plain.deflate());
}

// The two halves agree with each other.
TEST(ClientHandshakeTest, AgainstServerHandshake) {
  ServerPolicy policy;
  policy.subprotocols = {"mqtt"};
  policy.path = "/mqtt";
  policy.allow_compression = true;
  policy.deflate.server_no_context_takeover = true;
  ClientOptions o;
  o.host = "broker:8083";
  o.path = "/mqtt";
  o.subprotocols = {"mqttv3.1", "mqtt"};
  o.compression = true;
  o.deflate.client_no_context_takeover = true;
  ClientHandshake client = Make(o);
  ServerHandshake server(&policy);
  ASSERT_EQ(server.Feed(client.request()).status, HandshakeStatus::kDone) << server.error();
  ASSERT_EQ(client.Feed(server.response()).status, HandshakeStatus::kDone) << client.error();
  EXPECT_EQ(client.subprotocol(), "mqtt");
  EXPECT_EQ(server.subprotocol(), "mqtt");
  ASSERT_TRUE(client.deflate());
  ASSERT_TRUE(server.deflate());
  EXPECT_EQ(*client.deflate(), *server.deflate());
  EXPECT_TRUE(client.deflate()->server_no_context_takeover);
  EXPECT_TRUE(client.deflate()->client_no_context_takeover);
}

}  // namespace
}  // namespace tern::proto::ws
