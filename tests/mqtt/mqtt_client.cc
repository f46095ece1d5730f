#include "mqtt_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "proto/mqtt/describe.h"
#include "proto/mqtt/encoder.h"

namespace tern::testing {

namespace {
pm::DecoderOptions ClientDecoder(pm::Version v) {
  pm::DecoderOptions o;
  o.role = pm::Role::kClient;
  o.version = v;
  o.max_packet_size = pm::kMaxPacketSize;
  return o;
}
}  // namespace

pm::Connect MakeConnect(pm::Version version, std::string_view client_id, bool clean, uint16_t keep_alive) {
  pm::Connect c;
  c.version = version;
  c.client_id = client_id;
  c.clean_start = clean;
  c.keep_alive = keep_alive;
  return c;
}

MqttClient::MqttClient(pm::Version version) : version_(version), decoder_(ClientDecoder(version)) {}

MqttClient::~MqttClient() { Close(); }

void MqttClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

::testing::AssertionResult MqttClient::Open(int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return ::testing::AssertionFailure() << "connect to " << port << ": " << std::strerror(errno);
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult MqttClient::SendRaw(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ::testing::AssertionFailure() << "send: " << std::strerror(errno);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult MqttClient::Send(const pm::Packet& packet) {
  std::string bytes;
  if (!pm::AppendPacket(bytes, version_, packet)) return ::testing::AssertionFailure() << "cannot encode";
  return SendRaw(bytes);
}

MqttClient::Fill MqttClient::FillBuffer(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return Fill::kTimeout;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) return Fill::kTimeout;
    char chunk[65536];
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Fill::kClosed;
    buf_.append(chunk, static_cast<size_t>(n));
    return Fill::kOk;
  }
}

std::optional<std::string> MqttClient::Next(Millis timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  buf_.erase(0, pending_erase_);
  pending_erase_ = 0;
  for (;;) {
    if (!buf_.empty()) {
      const pm::DecodeResult r = decoder_.Decode(buf_, &last_);
      if (r.status == pm::DecodeStatus::kError) {
        error_ = "undecodable packet from the server: " + std::string(decoder_.error().rule);
        return std::nullopt;
      }
      if (r.status == pm::DecodeStatus::kPacket) {
        // The packet's views may point into buf_: keep it until the next call.
        std::string text = pm::Describe(last_);
        pending_erase_ = r.consumed;
        return text;
      }
      buf_.clear();  // the decoder keeps the partial packet
    }
    switch (FillBuffer(deadline)) {
      case Fill::kOk:
        break;
      case Fill::kTimeout:
        error_ = "timeout";
        return std::nullopt;
      case Fill::kClosed:
        error_ = "closed";
        return std::nullopt;
    }
  }
}

::testing::AssertionResult MqttClient::Expect(std::string_view described, Millis timeout) {
  std::optional<std::string> got = Next(timeout);
  if (!got) return ::testing::AssertionFailure() << "expected [" << described << "], got " << error_;
  if (*got != described) return ::testing::AssertionFailure() << "expected [" << described << "]\n     got [" << *got << "]";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult MqttClient::ExpectPrefix(std::string_view prefix, Millis timeout) {
  std::optional<std::string> got = Next(timeout);
  if (!got) return ::testing::AssertionFailure() << "expected [" << prefix << "...], got " << error_;
  if (!got->starts_with(prefix)) {
    return ::testing::AssertionFailure() << "expected [" << prefix << "...]\n     got [" << *got << "]";
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult MqttClient::ExpectClosed(Millis timeout, std::vector<std::string> before) {
  for (const std::string& want : before) {
    if (auto r = Expect(want, timeout); !r) return r;
  }
  std::optional<std::string> got = Next(timeout);
  if (got) return ::testing::AssertionFailure() << "expected a close, got [" << *got << "]";
  if (error_ != "closed") return ::testing::AssertionFailure() << "expected a close, got " << error_;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult MqttClient::ExpectSilence(Millis quiet) {
  std::optional<std::string> got = Next(quiet);
  if (got) return ::testing::AssertionFailure() << "expected silence, got [" << *got << "]";
  if (error_ != "timeout") return ::testing::AssertionFailure() << "expected silence, got " << error_;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult MqttClient::Connect(std::string_view client_id, bool clean, uint16_t keep_alive,
                                               std::string_view connack_prefix) {
  if (auto r = Send(MakeConnect(version_, client_id, clean, keep_alive)); !r) return r;
  return ExpectPrefix(connack_prefix);
}

::testing::AssertionResult MqttClient::Subscribe(uint16_t id, std::string_view filter, pm::Qos qos,
                                                 std::string_view suback) {
  pm::Subscription s;
  s.filter = filter;
  s.qos = qos;
  pm::Subscription list[] = {s};
  pm::Subscribe sub;
  sub.packet_id = id;
  sub.subscriptions = list;
  if (auto r = Send(sub); !r) return r;
  std::string want = suback.empty() ? "SUBACK id=" + std::to_string(id) + " reason=0x0" +
                                          std::to_string(static_cast<int>(qos))
                                    : std::string(suback);
  return Expect(want);
}

::testing::AssertionResult MqttClient::Publish(std::string_view topic, std::string_view payload, pm::Qos qos,
                                               uint16_t id, bool retain) {
  pm::Publish p;
  p.topic = topic;
  p.payload = payload;
  p.qos = qos;
  p.packet_id = id;
  p.retain = retain;
  return Send(p);
}

}  // namespace tern::testing
