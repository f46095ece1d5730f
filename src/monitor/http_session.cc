#include "monitor/http_session.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <fmt/format.h>

#include "monitor/monitor.h"
#include "monitor/query.h"

namespace tern::monitor {

namespace http = boost::beast::http;

struct HttpSession::Parser {
  http::request_parser<http::string_body> p;
};

namespace {

std::string_view StatusText(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 409:
      return "Conflict";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Error";
  }
}

}  // namespace

HttpSession::HttpSession(server::Connection& conn, Monitor& monitor) : conn_(conn), monitor_(monitor) {}

HttpSession::~HttpSession() = default;

void HttpSession::NewParser() {
  const server::HttpOptions& o = monitor_.server().options().http;
  parser_ = std::make_unique<Parser>();
  parser_->p.header_limit(static_cast<std::uint32_t>(std::min<uint64_t>(o.max_body * 4, UINT32_MAX)));
  parser_->p.body_limit(o.max_body);
  parser_->p.eager(true);
  head_deadline_ = io::Clock::now() + o.header_timeout;
  conn_.WakeAt(head_deadline_);
}

void HttpSession::OnOpen() {
  if (monitor_.http_connections() >= Monitor::kMaxHttpConnections) {
    Fail(503, "too many monitoring connections");
    return;
  }
  ++monitor_.http_connections();
  counted_ = true;
  NewParser();
}

void HttpSession::OnInput(char* data, size_t size) {
  if (closing_) return;
  const server::HttpOptions& o = monitor_.server().options().http;
  buffered_.append(data, size);
  if (parked_) {
    // Pipelined behind a request that waits for its reply: kept, bounded.
    if (buffered_.size() > o.max_body * 5) Fail(431, "request too large");
    return;
  }
  Pump();
}

void HttpSession::Pump() {
  const server::HttpOptions& o = monitor_.server().options().http;
  while (!closing_ && !parked_ && !buffered_.empty()) {
    boost::beast::error_code ec;
    size_t used = parser_->p.put(boost::asio::buffer(buffered_.data(), buffered_.size()), ec);
    buffered_.erase(0, used);
    if (ec == http::error::need_more) {
      // Beast waits for a whole head before it consumes any of it; the
      // buffer is bounded by what the limits allow.
      if (buffered_.size() > o.max_body * 5) Fail(431, "request too large");
      return;
    }
    if (ec == http::error::header_limit) return Fail(431, "request header too large");
    if (ec == http::error::body_limit) return Fail(413, "request body too large");
    if (ec) return Fail(400, ec.message());
    if (parser_->p.is_done()) {
      if (!Answer()) return;
      NewParser();
    } else if (used == 0) {
      return;
    }
  }
}

bool HttpSession::Answer() {
  auto& message = parser_->p.get();
  const bool keep_alive = message.keep_alive();
  const http::verb verb = message.method();
  const bool head = verb == http::verb::head;
  if (verb != http::verb::get && !head && verb != http::verb::post) {
    Fail(405, "method not allowed");
    return false;
  }
  Request request;
  request.method = std::string(message.method_string());
  request.target = ParseTarget(std::string_view(message.target().data(), message.target().size()));
  for (const auto& field : message) {
    request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    if (field.name() == http::field::authorization) request.authorization = std::string(field.value());
  }
  request.body = std::move(message.body());
  request.peer = fmt::format("{}:{}", conn_.ip(), conn_.port());
  std::weak_ptr<server::Connection> weak = conn_.shared_from_this();
  std::optional<Response> now = monitor_.Handle(request, [this, weak, head, keep_alive](Response later) {
    // The connection may have closed while the answer was on its way.
    auto conn = weak.lock();
    if (conn == nullptr || conn->closed() || conn->session() != this) return;
    Resume(later, head, keep_alive);
  });
  if (!now) {
    parked_ = true;  // the answer comes through Resume(); requests behind it wait
    return false;
  }
  Finish(*now, head, keep_alive);
  return keep_alive;
}

void HttpSession::Resume(const Response& response, bool head_only, bool keep_alive) {
  parked_ = false;
  Finish(response, head_only, keep_alive);
  if (!keep_alive) return;
  NewParser();
  Pump();
}

void HttpSession::Finish(const Response& response, bool head_only, bool keep_alive) {
  Send(response, head_only, keep_alive);
  if (!keep_alive) {
    closing_ = true;
    conn_.CloseWhenFlushed();
  }
}

void HttpSession::Send(const Response& response, bool head_only, bool keep_alive) {
  // nats-server lets browsers on other origins read its monitoring JSON.
  std::string head = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nAccess-Control-Allow-Origin: *\r\n"
      "Cache-Control: no-store\r\n{}{}\r\n",
      response.status, StatusText(response.status), response.content_type, response.body.size(),
      response.extra_headers, keep_alive ? "" : "Connection: close\r\n");
  if (response.status == 405) head.insert(head.size() - 2, "Allow: GET, HEAD, POST\r\n");
  if (head_only) {
    conn_.Send(head);
    return;
  }
  conn_.Write(head.size() + response.body.size(), [&](io::OutputBuffer& out) {
    out.Append(head);
    out.Append(response.body);
  });
}

void HttpSession::Fail(int status, std::string_view message) {
  if (closing_) return;
  closing_ = true;
  Send({status, "text/plain; charset=utf-8", std::string(message) + "\n"}, false, false);
  conn_.CloseWhenFlushed();
}

void HttpSession::OnTimer(io::Clock::time_point now) {
  // A parked request is bounded by its own timeout; the next head's
  // deadline starts when it is answered.
  if (closing_ || parked_) return;
  if (now >= head_deadline_) {
    // Idle keep-alive connections end the same way: nothing is lost.
    if (buffered_.empty() && !parser_->p.got_some()) {
      closing_ = true;
      conn_.CloseWhenFlushed();
    } else {
      Fail(408, "request head took too long");
    }
    return;
  }
  conn_.WakeAt(head_deadline_);
}

void HttpSession::OnClose(server::CloseReason) {
  if (counted_) --monitor_.http_connections();
  counted_ = false;
}

}  // namespace tern::monitor
