// One listening socket for one Endpoint. All listeners run on the server's
// acceptor thread, which only accepts and hands each socket to a worker
// (round robin): a connect storm costs the acceptor, never a worker's turn,
// and connections spread evenly however few there are.
#pragma once

#include <memory>

#include "base/status.h"
#include "io/event_loop.h"

namespace tern::server {

class Server;
struct Endpoint;

class Listener final : public io::Pollable {
 public:
  // Binds endpoint.host:endpoint.port (-1: a random free port, written back
  // into endpoint.port).
  static base::Result<std::unique_ptr<Listener>> Bind(Server& server, Endpoint& endpoint);
  ~Listener() override;

  base::Status Register(io::EventLoop& loop);
  void OnEvents(uint32_t events) override;
  // Loop thread of the loop it is registered with.
  void Close(io::EventLoop& loop);
  const Endpoint& endpoint() const { return endpoint_; }

 private:
  Listener(Server& server, const Endpoint& endpoint, int fd);

  Server& server_;
  const Endpoint& endpoint_;
  int fd_;
  int reserve_fd_;  // spent to shed a connection when the process is out of descriptors
};

}  // namespace tern::server
