// Accepts client sockets on worker 0's loop and hands each to a worker.
#pragma once

#include <string>

#include "io/event_loop.h"

namespace tern::server {

class Server;

class Listener final : public io::Pollable {
 public:
  Listener(Server& server, int fd);
  ~Listener() override;
  void OnEvents(uint32_t events) override;
  int fd() const { return fd_; }
  // Loop thread of the worker it is registered with.
  void Close(io::EventLoop& loop);

 private:
  Server& server_;
  int fd_;
  int reserve_fd_;  // spent to shed a connection when the process is out of descriptors
};

}  // namespace tern::server
