// The HTTP bridge (http.bridge, behind the admin token; admin.cc checks
// both before it gets here):
//
//   POST /pub/{subject}              publish the body; ?reply= sets a reply
//   POST /req/{subject}?timeout=2s   publish the body as a request and answer
//                                    with the first reply; 503 when nobody
//                                    listens, 504 when no reply comes in time
//
// Nats-* and X-Tern-* request headers become message headers; a reply's
// headers come back as X-Nats-Header-<name> (its status line, if any, as
// X-Nats-Status).
//
// A request does not hold the monitor thread while it waits: the session
// parks (HttpSession::Park) and a ReplyWaiter, a sink on a fresh inbox,
// finishes it from the monitor thread when the reply or the timeout comes.
#include <atomic>
#include <optional>
#include <random>

#include <fmt/format.h>

#include "base/units.h"
#include "io/event_loop.h"
#include "monitor/json.h"
#include "proto/subject.h"
#include "server/worker.h"

namespace tern::monitor {
namespace {

using nlohmann::ordered_json;

constexpr std::chrono::milliseconds kDefaultRequestTimeout{2000};
constexpr std::chrono::milliseconds kMaxRequestTimeout{60000};

// The Nats-* / X-Tern-* request headers as a NATS header block ("" if none).
std::string MessageHeaders(const Request& request) {
  std::string headers;
  for (const auto& [name, value] : request.headers) {
    if (StartsWithNoCase(name, "Nats-") || StartsWithNoCase(name, "X-Tern-")) {
      if (headers.empty()) headers = "NATS/1.0\r\n";
      headers += name + ": " + value + "\r\n";
    }
  }
  if (!headers.empty()) headers += "\r\n";
  return headers;
}

bool IsToken(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// A reply's NATS header block as HTTP response header lines. Names that are
// not plain tokens are left out rather than passed into the HTTP head.
std::string HttpHeadersOf(std::string_view block) {
  std::string out;
  bool first = true;
  while (!block.empty()) {
    size_t eol = block.find("\r\n");
    std::string_view line = block.substr(0, eol);
    block.remove_prefix(eol == std::string_view::npos ? block.size() : eol + 2);
    if (first) {
      first = false;
      if (line.size() > 9 && line.starts_with("NATS/1.0 ")) out += fmt::format("X-Nats-Status: {}\r\n", line.substr(9));
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon), value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (IsToken(name)) out += fmt::format("X-Nats-Header-{}: {}\r\n", name, value);
  }
  return out;
}

std::string NewInbox() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("_INBOX.HTTP.{:016x}{:016x}", rng(), rng());
}

// One POST /req in flight: the inbox's sink, and the timeout. Lives on the
// monitor thread except for Deliver(), which any delivering worker may call;
// the first reply wins and is handed over by a post to the monitor thread.
class ReplyWaiter final : public core::Sink, public io::Timer, public std::enable_shared_from_this<ReplyWaiter> {
 public:
  ReplyWaiter(server::Server& server, server::Worker& monitor_worker, Later later)
      : server_(server), worker_(monitor_worker), later_(std::move(later)) {}

  // Monitor thread. Subscribes the inbox, publishes the request and arms
  // the timeout; `later` gets the answer unless this returns one now.
  std::optional<Response> Start(std::string_view subject, const Request& request, std::chrono::milliseconds timeout) {
    sub_ = std::make_shared<core::Subscription>();
    sub_->sink = shared_from_this();
    sub_->subject = NewInbox();
    server_.router().Subscribe(worker_.router_thread(), sub_);
    const std::string headers = MessageHeaders(request);
    core::Message msg{subject, sub_->subject, headers, request.body};
    core::PublishResult result = server_.router().Publish(worker_.router_thread(), msg, core::Origin::System());
    if (result.delivered == 0 && !result.lingered) {
      End();
      return PlainText(503, "no responders for " + std::string(subject));
    }
    self_ = shared_from_this();  // until the reply or the timeout
    worker_.loop().Arm(*this, io::Clock::now() + timeout);
    timeout_ = timeout;
    return std::nullopt;
  }

  bool Deliver(const core::Subscription&, const core::Message& msg) override {
    if (answered_.exchange(true, std::memory_order_acq_rel)) return true;
    Response r{200, "application/octet-stream", std::string(msg.payload), HttpHeadersOf(msg.headers)};
    worker_.loop().Post([self = shared_from_this(), r = std::move(r)]() mutable { self->Finish(std::move(r)); });
    return true;
  }
  uint64_t sink_id() const override { return reinterpret_cast<uintptr_t>(this); }

  void OnTimer() override {
    if (answered_.exchange(true, std::memory_order_acq_rel)) return;  // the reply's post is on its way
    // Finished from a post, not here: Finish() may free this timer, which
    // the loop is still holding while it runs OnTimer().
    worker_.loop().Post([self = shared_from_this()] {
      self->Finish(PlainText(504, fmt::format("no reply within {}ms", self->timeout_.count())));
    });
  }

 private:
  void Finish(Response response) {
    worker_.loop().Disarm(*this);
    End();
    Later later = std::move(later_);
    self_.reset();  // may be the last reference: nothing after this line
    if (later) later(std::move(response));
  }

  // The subscription keeps its sink (a worker may be delivering to it right
  // now); dropping ours breaks the cycle, and the last match result that
  // still holds the subscription frees both.
  void End() {
    if (sub_ == nullptr) return;
    server_.router().Unsubscribe(*sub_);
    sub_.reset();
  }

  server::Server& server_;
  server::Worker& worker_;
  Later later_;
  core::SubscriptionPtr sub_;
  std::shared_ptr<ReplyWaiter> self_;
  std::atomic<bool> answered_{false};
  std::chrono::milliseconds timeout_{0};
};

}  // namespace

Response BridgePublish(Monitor& monitor, const Request& request, std::string_view subject) {
  if (!proto::IsValidLiteralSubject(subject)) return BadRequest("invalid subject: " + std::string(subject));
  const std::string reply(request.target.Get("reply"));
  if (!reply.empty() && !proto::IsValidLiteralSubject(reply)) return BadRequest("invalid reply subject: " + reply);
  const std::string headers = MessageHeaders(request);
  core::Message msg{subject, reply, headers, request.body};
  server::Worker* worker = server::Worker::Current();
  core::PublishResult result = monitor.server().router().Publish(worker->router_thread(), msg, core::Origin::System());
  ordered_json v;
  v["subject"] = subject;
  v["bytes"] = request.body.size();
  v["delivered"] = result.delivered;
  return JsonResponse(v);
}

std::optional<Response> BridgeRequest(Monitor& monitor, const Request& request, std::string_view subject,
                                      Later later) {
  if (!proto::IsValidLiteralSubject(subject)) return BadRequest("invalid subject: " + std::string(subject));
  std::chrono::milliseconds timeout = kDefaultRequestTimeout;
  if (std::string_view t = request.target.Get("timeout"); !t.empty()) {
    auto parsed = units::ParseDuration(t);
    if (!parsed || parsed->count() <= 0 || *parsed > kMaxRequestTimeout) {
      return BadRequest("invalid timeout: " + std::string(t) + " (e.g. 2s, at most 60s)");
    }
    timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*parsed);
  }
  server::Worker* worker = server::Worker::Current();
  auto waiter = std::make_shared<ReplyWaiter>(monitor.server(), *worker, std::move(later));
  return waiter->Start(subject, request, timeout);
}

}  // namespace tern::monitor
