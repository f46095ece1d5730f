// One HTTP/1.1 connection to the monitoring listener, on the shared
// connection layer (so https:// is the same TLS stage as every listener)
// and served by the monitor worker. Requests are parsed by Boost.Beast's
// request parser, fed from a bounded buffer; keep-alive and pipelining work.
//
// Hostile clients cost only this connection: a request head must arrive
// within http.header_timeout (slowloris), a head larger than
// 4 * http.max_body is 431 and a body larger than http.max_body 413, both
// followed by a close; a method other than GET/HEAD/POST is 405 (POST
// is refused in admin.cc unless http.admin_token is set); a request whose
// answer comes later (POST /req) parks the session, and pipelined requests
// wait behind it, in order; at most
// Monitor::kMaxHttpConnections are open at once. Output is bounded like
// any connection's (max_pending; a client that reads nothing is closed by
// write_deadline).
#pragma once

#include <memory>
#include <string>

#include "server/connection.h"
#include "server/session.h"

namespace tern::monitor {

class Monitor;
struct Response;

class HttpSession final : public server::Session {
 public:
  HttpSession(server::Connection& conn, Monitor& monitor);
  ~HttpSession() override;

  void OnOpen() override;
  void OnInput(char* data, size_t size) override;
  void OnTimer(io::Clock::time_point now) override;
  void OnClose(server::CloseReason reason) override;

 private:
  struct Parser;
  void NewParser();
  // Parses and answers what is buffered, until a request parks or the
  // connection is to close.
  void Pump();
  // Answers the parsed request; false when nothing more is to be parsed now
  // (the connection is to close, or the request parked for a later answer).
  bool Answer();
  // A parked request's answer has come: send it and go on with the input.
  void Resume(const Response& response, bool head_only, bool keep_alive);
  // Sends the answer, and closes after it unless kept alive.
  void Finish(const Response& response, bool head_only, bool keep_alive);
  void Send(const Response& response, bool head_only, bool keep_alive);
  void Fail(int status, std::string_view message);

  server::Connection& conn_;
  Monitor& monitor_;
  std::unique_ptr<Parser> parser_;
  std::string buffered_;  // input the parser has not consumed yet
  io::Clock::time_point head_deadline_{};
  bool counted_ = false;  // in Monitor::http_connections()
  bool closing_ = false;
  bool parked_ = false;  // a request waits for its answer (POST /req)
};

}  // namespace tern::monitor
