// The machinery behind tern::Connection.
//
// Threads and what they own:
//   I/O thread     reads and parses (parser_), matches request replies, pushes
//                  messages to the dispatcher, and runs the reconnect loop.
//   writer thread  swaps out_ for an empty buffer and writes it in one go, and
//                  sends keep-alive PINGs.
//   event thread   runs Options::on_event in order.
//   dispatcher     runs handlers (see dispatcher.h).
//
// Locks, in the only order they may nest: mu_ -> subs_mu_ -> SubState::mu.
// mu_ guards connection state, out_, the transport, PONG waiters and the
// server list; it is held only to append bytes or flip state, never across a
// syscall or a handler. subs_mu_ guards the sid -> subscription map that the
// I/O thread reads per message. The dispatcher's own lock and the event lock
// are leaves.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "dispatcher.h"
#include "proto/nats/client_parser.h"
#include "request_mux.h"
#include "sub_state.h"
#include "tern/connection.h"
#include "transport.h"
#include "url.h"

namespace tern::internal {

class ConnImpl : public std::enable_shared_from_this<ConnImpl>, private proto::nats::ClientOpHandler {
 public:
  explicit ConnImpl(Options options);
  ~ConnImpl() override;

  // Parses URLs, connects to the first reachable server, starts the threads.
  Status Start();

  Status Publish(std::string_view subject, std::string_view reply, std::string_view headers, std::string_view data);
  Status PublishBatch(std::span<const Message> msgs);

  struct SubSpec {
    std::string_view subject;
    std::string_view queue;
    Handler handler;
    bool channel = false;
    size_t capacity = 0;  // channel: max pending messages
  };
  Result<std::vector<std::shared_ptr<SubState>>> Subscribe(std::span<const SubSpec> specs);
  Status Unsubscribe(const std::shared_ptr<SubState>& sub);
  Status AutoUnsubscribe(const std::shared_ptr<SubState>& sub, uint64_t max);
  Status DrainSub(const std::shared_ptr<SubState>& sub, std::chrono::milliseconds timeout);

  Result<Message> Request(std::string_view subject, std::string_view headers, std::string_view data,
                          std::chrono::milliseconds timeout);
  Status Flush(std::chrono::milliseconds timeout);
  Status Drain(std::chrono::milliseconds timeout);
  Status Close();

  ConnState state() const;
  std::string NewInbox() const;
  const std::string& id() const { return id_; }
  ServerInfo server_info() const;
  std::string connected_url() const;
  ConnectionStats stats() const;
  const Options& options() const { return options_; }

 private:
  struct PongWaiter {
    bool done = false;
    Status status;
  };

  // ClientOpHandler, on the I/O thread.
  void OnInfo(std::string_view json) override;
  void OnMsg(const proto::nats::MsgOp& op) override;
  void OnPing() override;
  void OnPong() override;
  void OnErr(std::string_view text) override;

  // conn_io.cc
  Status ConnectTo(const ServerUrl& url, std::shared_ptr<Transport>* out, ServerInfo* info, std::string* leftover);
  void InstallLocked(std::shared_ptr<Transport> transport, const ServerUrl& url, const ServerInfo& info);
  void IoLoop();
  Status ReadLoop(const std::shared_ptr<Transport>& transport);
  void HandleDisconnect(const Status& why);
  bool ReconnectLoop();
  void WriterLoop();
  void AddDiscoveredLocked(const ServerInfo& info);

  // conn_impl.cc
  void PostEvent(Event event);
  void EventLoop();
  // Everything Close() does except joining threads, so the I/O thread can
  // call it when reconnecting gives up.
  void Shutdown(const Status& why);
  void NotifyWriterLocked();
  void FailPongsLocked(const Status& status);
  bool OnInternalThread() const;

  // conn_pubsub.cc
  Status AppendPubLocked(std::unique_lock<std::mutex>& lock, size_t wire, std::string_view subject,
                         std::string_view reply, std::string_view headers, std::string_view data,
                         bool write_now = false);
  Status WaitForRoomLocked(std::unique_lock<std::mutex>& lock, size_t wire);
  // Writes out_ from the calling thread when no write is in flight (else the
  // in-flight writer picks it up). Saves the hand-off to the writer thread on
  // latency-bound calls: Request, Flush, and every publish with send_asap.
  void WriteNowLocked(std::unique_lock<std::mutex>& lock);
  Status EnsureMuxLocked();
  void AppendResubsLocked(std::string& out);
  Status WaitIdle(SubState& sub, std::chrono::steady_clock::time_point deadline);

  const Options options_;
  const std::string id_;
  RequestMux mux_;

  mutable std::mutex mu_;
  std::condition_variable writer_cv_;  // out_ has bytes, ping due, or stop
  std::condition_variable space_cv_;   // out_ shrank (publishers waiting for room)
  std::condition_variable pong_cv_;    // a PONG waiter completed
  std::condition_variable close_cv_;   // wakes the reconnect backoff sleep
  ConnState state_ = ConnState::kConnecting;
  bool was_connected_ = false;
  bool writer_stop_ = false;
  bool writer_waiting_ = false;
  bool writing_ = false;    // a write is in flight (writer thread or WriteNowLocked): writes never overlap
  std::string direct_buf_;  // WriteNowLocked's buffer; only the thread holding writing_ touches it
  std::string out_;
  std::shared_ptr<Transport> transport_;
  std::shared_ptr<Transport> dialing_;             // the transport being handshaken, so Close can interrupt it
  std::deque<std::shared_ptr<PongWaiter>> pongs_;  // null entries are keep-alive PINGs
  int pings_out_ = 0;
  ServerInfo info_;
  ServerUrl current_url_;
  size_t current_index_ = 0;
  std::vector<ServerUrl> servers_;
  uint64_t next_sid_ = 0;
  std::shared_ptr<SubState> mux_sub_;
  uint64_t out_msgs_ = 0;
  uint64_t out_bytes_ = 0;
  uint64_t reconnects_ = 0;
  std::atomic<int64_t> max_payload_{1024 * 1024};

  mutable std::mutex subs_mu_;
  std::unordered_map<uint64_t, std::shared_ptr<SubState>> subs_;

  std::atomic<uint64_t> in_msgs_{0};
  std::atomic<uint64_t> in_bytes_{0};

  proto::nats::ClientParser parser_;  // I/O thread (or Start() before it exists)
  std::string leftover_;              // bytes read past the handshake PONG

  std::unique_ptr<Dispatcher> dispatcher_;

  std::mutex ev_mu_;
  std::condition_variable ev_cv_;
  std::deque<Event> events_;
  bool ev_stop_ = false;

  std::mutex join_mu_;  // serialises the joins in Close()
  std::thread io_thread_;
  std::thread writer_thread_;
  std::thread event_thread_;
};

}  // namespace tern::internal
