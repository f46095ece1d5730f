// tern pub SUBJECT [PAYLOAD]: publish one or --count messages, optionally
// paced at --rate, then flush so "ok" means the server took them all.
#include <chrono>
#include <cstdio>
#include <thread>

#include "common.h"

namespace tern::cli {

int RunPub(const GlobalOptions& g, const PubOptions& o) {
  Headers headers;
  std::string error;
  if (!ParseHeaders(o.headers, &headers, &error)) return Fail(kExitUsage, error);
  std::string payload;
  if (!ReadPayload(o.payload, o.file, &payload, &error)) return Fail(kExitUsage, error);
  if (o.rate < 0) return Fail(kExitUsage, "--rate must be >= 0");

  auto watch = std::make_shared<EventWatch>(!o.quiet);
  int code = kExitOk;
  auto conn = Connect(g, &code, MakeOptions(g, watch));
  if (!conn) return code;

  // The library would refuse it too, but as a bad argument; it is the
  // server's limit, so say so and exit with the server-error code.
  const int64_t max_payload = conn->server_info().max_payload;
  const size_t header_bytes = headers.empty() ? 0 : headers.Encode().size();
  if (max_payload > 0 && static_cast<int64_t>(payload.size() + header_bytes) > max_payload) {
    return Fail(kExitServerError, "payload of " + std::to_string(payload.size() + header_bytes) +
                                      " bytes exceeds the server's max_payload of " + std::to_string(max_payload));
  }

  const bool templated = HasCountTemplate(payload);
  const auto start = std::chrono::steady_clock::now();
  const std::chrono::duration<double> period(o.rate > 0 ? 1.0 / o.rate : 0.0);
  Message msg;
  msg.subject = o.subject;
  msg.reply = o.reply;
  msg.headers = headers;
  if (!templated) msg.data = payload;
  uint64_t bytes = 0;
  for (uint64_t i = 1; i <= o.count; ++i) {
    if (o.rate > 0 && i > 1) {
      auto due = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(period * (i - 1));
      std::this_thread::sleep_until(due);
    }
    if (templated) msg.data = ExpandCount(payload, i);
    Status s = headers.empty() ? conn->Publish(msg.subject, msg.reply, msg.data) : conn->Publish(msg);
    bytes += msg.data.size();
    if (!s.ok()) return Fail("publish to " + o.subject, s);
  }
  // The PONG proves the server read every PUB; -ERRs come before it.
  Status flushed = conn->Flush(o.timeout);
  if (!flushed.ok()) return Fail("flush", flushed);
  (void)conn->Close();  // runs any queued event callback before we look
  if (Status err = watch->server_error(); !err.ok()) return kExitServerError;
  if (!o.quiet) {
    auto elapsed = std::chrono::steady_clock::now() - start;
    std::printf("Published %s message%s (%s) to \"%s\" in %s\n", Grouped(o.count).c_str(), o.count == 1 ? "" : "s",
                HumanBytes(static_cast<double>(bytes)).c_str(), o.subject.c_str(), HumanDuration(elapsed).c_str());
  }
  return kExitOk;
}

}  // namespace tern::cli
