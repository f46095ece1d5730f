// MQTT 3.1.1 pub/sub for comparing tern-server with mosquitto: one publisher
// thread, --subs subscriber threads on one topic, QoS 0 or 1 (--qos). The
// few packets it needs are written and read here, not with the server's
// codec, so the generator shares no code path with what it measures.
//
// The publisher stays at most --window bytes ahead of the slowest
// subscriber, so a server is measured at the rate it sustains. At QoS 1 the
// publisher also reads its PUBACKs and each subscriber acknowledges what it
// receives; the publisher waits for every PUBACK before the run ends.
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "conn.h"
#include "report.h"
#include "scenarios.h"

namespace tern::loadgen {
namespace {

void PutLength(std::string& out, size_t n) {
  do {
    uint8_t b = n % 128;
    n /= 128;
    if (n > 0) b |= 0x80;
    out.push_back(static_cast<char>(b));
  } while (n > 0);
}

void PutString(std::string& out, std::string_view s) {
  out.push_back(static_cast<char>(s.size() >> 8));
  out.push_back(static_cast<char>(s.size() & 0xff));
  out.append(s);
}

std::string Connect(std::string_view client_id) {
  std::string body;
  PutString(body, "MQTT");
  body += std::string("\x04\x02\x00\x3c", 4);  // 3.1.1, clean session, keep alive 60 s
  PutString(body, client_id);
  std::string out = "\x10";
  PutLength(out, body.size());
  return out + body;
}

std::string Subscribe(std::string_view topic, int qos) {
  std::string body = std::string("\x00\x01", 2);
  PutString(body, topic);
  body.push_back(static_cast<char>(qos));
  std::string out = "\x82";
  PutLength(out, body.size());
  return out + body;
}

void AppendPublish(std::string& out, std::string_view topic, std::string_view payload, int qos, uint16_t id) {
  out.push_back(static_cast<char>(0x30 | (qos << 1)));
  PutLength(out, 2 + topic.size() + (qos > 0 ? 2 : 0) + payload.size());
  PutString(out, topic);
  if (qos > 0) {
    out.push_back(static_cast<char>(id >> 8));
    out.push_back(static_cast<char>(id & 0xff));
  }
  out.append(payload);
}

// A blocking socket with the same short timeouts as Conn.
class Socket {
 public:
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool Dial(const Config& config) {
    Conn probe;  // Conn's Dial sets TCP_NODELAY and the timeouts; keep its fd
    Endpoint tcp = config.endpoint;
    tcp.transport = Transport::kTcp;  // MQTT's own TLS / WebSocket are not driven here
    if (!probe.Dial(tcp, Clock::now() + std::chrono::seconds(5))) return false;
    fd_ = ::dup(probe.fd());
    return fd_ >= 0;
  }
  bool SendAll(std::string_view bytes, Deadline deadline) {
    while (!bytes.empty()) {
      if (Clock::now() > deadline) return false;
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n > 0) {
        bytes.remove_prefix(static_cast<size_t>(n));
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        return false;
      }
    }
    return true;
  }
  // Reads what is there (at most the receive timeout long) and calls
  // fn(type_byte, body) for each whole packet. False on close or error.
  template <typename Fn>
  bool Pump(Fn&& fn) {
    char chunk[256 * 1024];
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n == 0) return false;
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    buf_.append(chunk, static_cast<size_t>(n));
    size_t pos = 0;
    for (;;) {
      if (buf_.size() - pos < 2) break;
      size_t len = 0, mul = 1, i = pos + 1;
      bool whole = false;
      while (i < buf_.size() && i < pos + 5) {
        const auto b = static_cast<uint8_t>(buf_[i++]);
        len += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) == 0) {
          whole = true;
          break;
        }
      }
      if (!whole || buf_.size() - i < len) break;
      fn(static_cast<uint8_t>(buf_[pos]), std::string_view(buf_).substr(i, len));
      pos = i + len;
    }
    buf_.erase(0, pos);
    return true;
  }

 private:
  int fd_ = -1;
  std::string buf_;
};

struct alignas(64) Counter {
  std::atomic<uint64_t> n{0};
  int64_t last_ns = 0;
  std::string error;
};

}  // namespace

int RunMqttPubSub(const Config& config) {
  Report report(config.qos == 0 ? "mqtt-pubsub-qos0" : "mqtt-pubsub-qos1");
  report.Str("label", config.label);
  report.Int("msgs", static_cast<int64_t>(config.msgs));
  report.Int("size", static_cast<int64_t>(config.size));
  report.Int("subs", config.subs);
  const Deadline deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                               std::chrono::duration<double>(config.timeout_s));
  const std::string topic = config.subject;  // used as an MQTT topic as it is
  const int qos = config.qos > 0 ? 1 : 0;

  std::vector<std::unique_ptr<Socket>> subs;
  std::vector<std::unique_ptr<Counter>> counts;
  for (int s = 0; s < config.subs; ++s) {
    auto sock = std::make_unique<Socket>();
    bool ok = sock->Dial(config) && sock->SendAll(Connect(fmt::format("lg-sub-{}", s)) + Subscribe(topic, qos), deadline);
    bool subscribed = false;
    while (ok && !subscribed && Clock::now() < deadline) {
      ok = sock->Pump([&](uint8_t type, std::string_view) { subscribed = subscribed || (type >> 4) == 9; });
    }
    if (!ok || !subscribed) {
      report.Fail("subscriber could not connect and subscribe");
      report.Print("mqtt pubsub failed");
      return kExitFailed;
    }
    subs.push_back(std::move(sock));
    counts.push_back(std::make_unique<Counter>());
  }
  std::vector<std::thread> threads;
  for (int s = 0; s < config.subs; ++s) {
    threads.emplace_back([&, s] {
      Socket& sock = *subs[s];
      Counter& c = *counts[s];
      std::string acks;
      while (c.n.load(std::memory_order_relaxed) < config.msgs) {
        acks.clear();
        const bool ok = sock.Pump([&](uint8_t type, std::string_view body) {
          if ((type >> 4) != 3) return;
          c.n.fetch_add(1, std::memory_order_release);
          if (((type >> 1) & 3) > 0) {
            const size_t tlen = static_cast<uint8_t>(body[0]) << 8 | static_cast<uint8_t>(body[1]);
            acks += std::string("\x40\x02", 2);
            acks.append(body.substr(2 + tlen, 2));
          }
        });
        if (!acks.empty()) sock.SendAll(acks, deadline);
        if (!ok) {
          c.error = "subscriber connection closed";
          break;
        }
        if (Clock::now() > deadline) {
          c.error = "timeout";
          break;
        }
      }
      c.last_ns = NowNs();
    });
  }

  Socket pub;
  if (!pub.Dial(config) || !pub.SendAll(Connect("lg-pub"), deadline)) {
    report.Fail("publisher could not connect");
  }
  bool connacked = false;
  while (report.ok() && !connacked && Clock::now() < deadline) {
    if (!pub.Pump([&](uint8_t type, std::string_view) { connacked = connacked || (type >> 4) == 2; })) break;
  }
  const std::string payload(config.size, 'x');
  std::string one;
  AppendPublish(one, topic, payload, qos, 1);
  const uint64_t window = std::max<uint64_t>(1, config.window_bytes / one.size());
  // A batch never passes the window: a server that takes publishes faster
  // than its subscriber acknowledges would otherwise fill the session's
  // queue (mqtt.max_queued, mosquitto's max_queued_messages) and drop.
  const uint64_t batch = std::clamp<uint64_t>(config.chunk_bytes / one.size(), 1, window);
  uint64_t sent = 0, acked = 0;
  uint16_t next_id = 0;
  const int64_t start_ns = NowNs();
  std::string out;
  auto slowest = [&] {
    uint64_t m = UINT64_MAX;
    for (auto& c : counts) m = std::min(m, c->n.load(std::memory_order_acquire));
    return m;
  };
  while (report.ok() && (sent < config.msgs || (qos > 0 && acked < config.msgs))) {
    if (Clock::now() > deadline) {
      report.Fail("timeout");
      break;
    }
    if (sent < config.msgs && sent - std::min(sent, slowest()) < window && (qos == 0 || sent - acked < window)) {
      out.clear();
      const uint64_t n = std::min(batch, config.msgs - sent);
      for (uint64_t i = 0; i < n; ++i) {
        if (++next_id == 0) next_id = 1;
        AppendPublish(out, topic, payload, qos, next_id);
      }
      if (!pub.SendAll(out, deadline)) report.Fail("publisher write failed");
      sent += n;
    }
    if (qos > 0) {
      pub.Pump([&](uint8_t type, std::string_view) {
        if ((type >> 4) == 4) ++acked;
      });
    } else if (sent >= config.msgs) {
      break;
    } else {
      std::this_thread::yield();
    }
  }
  for (auto& t : threads) t.join();
  uint64_t received = 0;
  int64_t end_ns = start_ns;
  for (auto& c : counts) {
    received += c->n.load();
    end_ns = std::max(end_ns, c->last_ns);
    if (!c->error.empty()) report.Fail(c->error);
  }
  const double seconds = static_cast<double>(end_ns - start_ns) / 1e9;
  const uint64_t expected = config.msgs * static_cast<uint64_t>(config.subs);
  if (received < expected) report.Fail(fmt::format("lost {} of {}", expected - received, expected));
  report.Int("received", static_cast<int64_t>(received));
  report.Num("seconds", seconds);
  report.Num("msgs_per_s", static_cast<double>(config.msgs) / seconds);
  report.Num("deliveries_per_s", static_cast<double>(received) / seconds);
  report.Print(fmt::format("mqtt qos{} pubsub 1:{} {} x {} B: {:.0f} msgs/s, {:.0f} deliveries/s", qos, config.subs,
                           config.msgs, config.size, static_cast<double>(config.msgs) / seconds,
                           static_cast<double>(received) / seconds));
  return report.ok() ? kExitOk : kExitFailed;
}

}  // namespace tern::loadgen
