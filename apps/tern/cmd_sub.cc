// tern sub SUBJECT: print messages until --count, --timeout or Ctrl-C.
//
// Messages are taken from a channel subscription on this (main) thread, so
// printing needs no locks and a slow terminal makes the library drop and
// count (reported at the end) instead of stalling the connection.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "common.h"
#include "tern/subscription.h"

namespace tern::cli {
namespace {

void WriteHeaders(const Message& m, std::string* out) {
  if (m.status != 0) {
    *out += "NATS/1.0 " + std::to_string(m.status);
    if (!m.status_description.empty()) *out += " " + m.status_description;
    *out += "\n";
  }
  for (const auto& [key, value] : m.headers) *out += key + ": " + value + "\n";
}

std::string Format(const Message& m, uint64_t n, const SubOptions& o) {
  std::string out;
  const bool has_headers = !m.headers.empty() || m.status != 0;
  if (o.raw) {
    if (o.headers && has_headers) {
      WriteHeaders(m, &out);
      out += "\n";
    }
    out += m.data;
    out += "\n";
    return out;
  }
  out = "[#" + std::to_string(n) + "] Received on \"" + m.subject + "\"";
  if (!m.reply.empty()) out += " with reply \"" + m.reply + "\"";
  out += "\n";
  if (has_headers) {
    WriteHeaders(m, &out);
    out += "\n";
  }
  out += m.data;
  out += "\n\n";
  return out;
}

}  // namespace

int RunSub(const GlobalOptions& g, const SubOptions& o) {
  InstallStopHandler();
  auto watch = std::make_shared<EventWatch>(true);
  int code = kExitOk;
  auto conn = Connect(g, &code, MakeOptions(g, watch));
  if (!conn) return code;

  auto sub = conn->SubscribeChannel(o.subject, 65536, o.queue);
  if (!sub.ok()) return Fail("subscribe to " + o.subject, sub.status());
  if (o.count > 0) {
    // The server stops sending after count, so a busy subject does not flood
    // a process that is about to exit.
    if (Status s = sub->AutoUnsubscribe(o.count); !s.ok()) return Fail("subscribe", s);
  }
  // After the PONG the server has the SUB: scripts may publish from here on.
  if (Status s = conn->Flush(std::max(g.connect_timeout, std::chrono::milliseconds(1000))); !s.ok()) {
    return Fail("subscribe to " + o.subject, s);
  }
  std::fprintf(stderr, "Subscribed to \"%s\"%s%s\n", o.subject.c_str(), o.queue.empty() ? "" : " in queue group ",
               o.queue.c_str());
  std::fflush(stderr);

  using Clock = std::chrono::steady_clock;
  const auto deadline = o.timeout.count() > 0 ? Clock::now() + o.timeout : Clock::time_point::max();
  uint64_t n = 0;
  bool timed_out = false;
  bool closed = false;
  while (!StopRequested() && (o.count == 0 || n < o.count)) {
    auto now = Clock::now();
    if (now >= deadline) {
      timed_out = true;
      break;
    }
    // Short waits so Ctrl-C and the deadline are noticed promptly.
    auto wait = std::min<Clock::duration>(std::chrono::milliseconds(200), deadline - now);
    auto m = sub->Next(std::chrono::ceil<std::chrono::milliseconds>(wait));
    if (!m.ok()) {
      if (m.code() == Code::kTimeout) continue;
      closed = true;
      break;
    }
    ++n;
    std::string text = Format(*m, n, o);
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (sub->pending() == 0) std::fflush(stdout);
  }
  std::fflush(stdout);
  const uint64_t dropped = sub->dropped();
  (void)sub->Unsubscribe();
  (void)conn->Close();
  if (dropped > 0) std::fprintf(stderr, "tern: %s messages dropped: output too slow\n", Grouped(dropped).c_str());
  if (closed && !StopRequested()) return Fail(kExitConnect, "connection closed");
  if (timed_out && o.count > 0) {
    return Fail(kExitTimeout, "received " + std::to_string(n) + " of " + std::to_string(o.count) + " messages within " +
                                  HumanDuration(o.timeout));
  }
  if (Status err = watch->server_error(); !err.ok()) return kExitServerError;
  return kExitOk;
}

}  // namespace tern::cli
