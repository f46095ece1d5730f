// tern req SUBJECT [PAYLOAD]: one request, the first reply printed.
#include <chrono>
#include <cstdio>
#include <string>

#include "common.h"

namespace tern::cli {

int RunReq(const GlobalOptions& g, const ReqOptions& o) {
  Message msg;
  msg.subject = o.subject;
  std::string error;
  if (!ParseHeaders(o.headers, &msg.headers, &error)) return Fail(kExitUsage, error);
  // Bounded by the request timeout: a stdin that never ends (left open by
  // whoever started us) must not hang a request.
  if (!ReadPayload(o.payload, o.file, &msg.data, &error, o.timeout)) return Fail(kExitUsage, error);

  auto watch = std::make_shared<EventWatch>(false);
  int code = kExitOk;
  auto conn = Connect(g, &code, MakeOptions(g, watch));
  if (!conn) return code;

  const auto start = std::chrono::steady_clock::now();
  auto reply = conn->Request(msg, o.timeout);
  const auto rtt = std::chrono::steady_clock::now() - start;
  if (!reply.ok()) {
    if (reply.code() == Code::kNoResponders) {
      return Fail(kExitNoResponders, "no responders on \"" + o.subject + "\"");
    }
    if (reply.code() == Code::kTimeout) {
      return Fail(kExitTimeout, "no reply on \"" + o.subject + "\" within " + HumanDuration(o.timeout));
    }
    (void)conn->Close();
    if (Status err = watch->server_error(); !err.ok()) return kExitServerError;
    return Fail("request on " + o.subject, reply.status());
  }
  std::string out;
  if (!o.raw) {
    out = "Received with rtt " + HumanDuration(rtt) + "\n";
    if (reply->status != 0) {
      out += "NATS/1.0 " + std::to_string(reply->status);
      if (!reply->status_description.empty()) out += " " + reply->status_description;
      out += "\n";
    }
    for (const auto& [key, value] : reply->headers) out += key + ": " + value + "\n";
    if (!reply->headers.empty() || reply->status != 0) out += "\n";
  }
  out += reply->data;
  out += "\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

}  // namespace tern::cli
