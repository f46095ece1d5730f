// tern status: what the server said about itself in INFO, what carries the
// connection (TCP, TLS, WebSocket), and the round trip time of PING/PONG.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "base/json_quote.h"
#include "common.h"

namespace tern::cli {
namespace {

std::string TransportText(const TransportInfo& t) {
  std::string out = t.websocket ? (t.tls ? "WebSocket over TLS" : "WebSocket") : (t.tls ? "TLS" : "plain TCP");
  if (t.tls) out += " (" + t.tls_version + ", " + t.tls_cipher + ")";
  return out;
}

}  // namespace

int RunStatus(const GlobalOptions& g, const StatusOptions& o) {
  if (o.pings < 1) return Fail(kExitUsage, "--pings must be at least 1");
  auto watch = std::make_shared<EventWatch>(false);
  int code = kExitOk;
  auto conn = Connect(g, &code, MakeOptions(g, watch));
  if (!conn) return code;
  const ServerInfo info = conn->server_info();
  const std::string url = conn->connected_url();
  const TransportInfo transport = conn->transport_info();

  std::vector<std::chrono::nanoseconds> rtts;
  for (int i = 0; i < o.pings; ++i) {
    auto start = std::chrono::steady_clock::now();
    Status s = conn->Flush(std::max(g.connect_timeout, std::chrono::milliseconds(1000)));
    if (!s.ok()) return Fail("ping", s);
    rtts.push_back(std::chrono::steady_clock::now() - start);
  }
  std::sort(rtts.begin(), rtts.end());
  const auto rtt_min = rtts.front();
  const auto rtt_median = rtts[rtts.size() / 2];
  const auto rtt_max = rtts.back();

  std::string out;
  if (o.json) {
    auto ns = [](std::chrono::nanoseconds d) { return std::to_string(d.count()); };
    auto flag = [](bool b) { return b ? "true" : "false"; };
    out = "{\"url\":" + JsonQuote(url) + ",\"tls\":" + flag(transport.tls) +
          ",\"websocket\":" + flag(transport.websocket) + ",\"tls_version\":" + JsonQuote(transport.tls_version) +
          ",\"tls_cipher\":" + JsonQuote(transport.tls_cipher) + ",\"server_id\":" + JsonQuote(info.server_id) +
          ",\"server_name\":" + JsonQuote(info.server_name) + ",\"version\":" + JsonQuote(info.version) +
          ",\"host\":" + JsonQuote(info.host) + ",\"port\":" + std::to_string(info.port) +
          ",\"max_payload\":" + std::to_string(info.max_payload) + ",\"headers\":" + (info.headers ? "true" : "false") +
          ",\"auth_required\":" + (info.auth_required ? "true" : "false") +
          ",\"tls_required\":" + flag(info.tls_required) + ",\"tls_verify\":" + flag(info.tls_verify) +
          ",\"lame_duck\":" + (info.lame_duck ? "true" : "false") + ",\"client_id\":" + std::to_string(info.client_id) +
          ",\"connect_urls\":[";
    for (size_t i = 0; i < info.connect_urls.size(); ++i) out += (i ? "," : "") + JsonQuote(info.connect_urls[i]);
    out +=
        "],\"rtt_ns\":{\"min\":" + ns(rtt_min) + ",\"median\":" + ns(rtt_median) + ",\"max\":" + ns(rtt_max) + "}}\n";
  } else {
    auto line = [&out](const char* key, const std::string& value) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "  %-15s ", key);
      out += buf;
      out += value.empty() ? "-" : value;
      out += "\n";
    };
    out = "Server at " + url + "\n";
    line("transport:", TransportText(transport));
    line("name:", info.server_name);
    line("id:", info.server_id);
    line("version:", info.version);
    line("listening:", info.host + ":" + std::to_string(info.port));
    line("max_payload:",
         HumanBytes(static_cast<double>(info.max_payload)) + " (" + std::to_string(info.max_payload) + " bytes)");
    line("headers:", info.headers ? "yes" : "no");
    line("auth_required:", info.auth_required ? "yes" : "no");
    line("tls_required:", info.tls_required ? (info.tls_verify ? "yes, with client certificates" : "yes") : "no");
    line("lame_duck:", info.lame_duck ? "yes" : "no");
    line("client_id:", std::to_string(info.client_id));
    std::string urls;
    for (const auto& u : info.connect_urls) urls += (urls.empty() ? "" : ", ") + u;
    line("connect_urls:", urls);
    line("rtt:", HumanDuration(rtt_median) + " (min " + HumanDuration(rtt_min) + ", max " + HumanDuration(rtt_max) +
                     ", " + std::to_string(o.pings) + " pings)");
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

}  // namespace tern::cli
