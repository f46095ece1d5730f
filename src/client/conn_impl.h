// The machinery behind tern::Connection.
//
// Threads and what they own:
//   I/O thread     connects and reconnects; between reconnects it holds the
//                  read role whenever no one else does (below).
//   read role      whoever holds it reads the socket, runs parser_, matches
//                  request replies, pushes messages to the dispatcher (or, in
//                  kInline mode, runs the handlers). Normally the I/O thread;
//                  a thread waiting in Request()/Flush() takes the role when
//                  it is free and reads its own answer, which saves a thread
//                  hand-off per round trip (conn_read.cc).
//   writer thread  sends out_ when no caller does, and keep-alive PINGs.
//                  Callers send out_ themselves where that saves a hand-off or
//                  a copy: Request()/Flush(), a publisher whose buffer passed
//                  kSelfFlushBytes, the read-role holder after each read
//                  (replies made by inline handlers). `writing_` makes the
//                  writes take turns.
//   event thread   runs Options::on_event in order.
//   dispatcher     runs handlers (see dispatcher.h).
//
// Locks, in the only order they may nest: mu_ -> subs_mu_ -> SubState::mu,
// mu_ -> Completion::mu, and mu_ -> rd_mu_. mu_ guards connection state, out_, the
// transport, PONG waiters and the server list; it is held only to append
// bytes or flip state, never across a syscall or a handler. subs_mu_ guards
// the sid -> subscription map that the reader reads per message. rd_mu_ (the
// read role), the dispatcher's own lock and the event lock are leaves.
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

#include "completion.h"
#include "dispatcher.h"
#include "out_buffer.h"
#include "proto/nats/client_parser.h"
#include "request_mux.h"
#include "sub_state.h"
#include "tern/connection.h"
#include "tls_transport.h"
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
  TransportInfo transport_info() const;
  ConnectionStats stats() const;
  const Options& options() const { return options_; }

 private:
  struct PongWaiter : Completion {
    Status status;  // set before done; ok when the PONG came
  };
  using Clock = std::chrono::steady_clock;

  // ClientOpHandler, on the I/O thread.
  void OnInfo(std::string_view json) override;
  void OnMsg(const proto::nats::MsgOp& op) override;
  void OnPing() override;
  void OnPong() override;
  void OnErr(std::string_view text) override;

  // conn_io.cc
  Status ConnectTo(const ServerUrl& url, std::shared_ptr<Transport>* out, ServerInfo* info, std::string* leftover);
  // Replaces *t by TLS over it (the handshake done) and makes it the
  // transport Close() interrupts. `where` prefixes errors.
  Status UpgradeToTls(const ServerUrl& url, std::shared_ptr<Transport>* t, Clock::time_point deadline,
                      const std::string& where);
  // The same for the WebSocket upgrade (ws://, wss:// over TLS).
  Status UpgradeToWebSocket(const ServerUrl& url, std::shared_ptr<Transport>* t, Clock::time_point deadline,
                            const std::string& where);
  // Makes t the transport Close() interrupts; false once closed.
  bool SetDialing(const std::shared_ptr<Transport>& t);
  void InstallLocked(std::shared_ptr<Transport> transport, const ServerUrl& url, const ServerInfo& info);
  void IoLoop();
  void HandleDisconnect(const Status& why);
  bool ReconnectLoop();
  void AddDiscoveredLocked(const ServerInfo& info);

  // conn_read.cc: the read role.
  Status ReadLoop(const std::shared_ptr<Transport>& transport);  // I/O thread, one per connection
  void AcquireReadRoleForIo(Transport& t);
  std::shared_ptr<Transport> TryTakeReadRole();
  void ReleaseReadRole(Transport& t, bool unread);
  // With the role: reads until the socket comes up short, parsing as it
  // goes. Stops early (setting *unread) once `until` is done.
  Status DrainLocked(Transport& t, const Completion* until, bool* unread);
  // Waits for c, reading the socket on this thread while the role is free;
  // `held` is the role already taken (TryTakeReadRole) before sending.
  void AwaitCompletion(Completion& c, Clock::time_point deadline, std::shared_ptr<Transport> held = nullptr);
  // Reads until c is done, the deadline, or an error; then lets go of the role.
  void ReadWhileHolding(const std::shared_ptr<Transport>& t, Completion& c, Clock::time_point deadline);
  // True on the thread holding the read role: it must not wait for what only
  // reading can bring, and its publishes are sent when it finishes a read.
  bool ReadingHere() const;
  void SendOwnPublishes();

  // conn_impl.cc
  void PostEvent(Event event);
  void EventLoop();
  // Everything Close() does except joining threads, so the I/O thread can
  // call it when reconnecting gives up.
  void Shutdown(const Status& why);
  void NotifyWriterLocked();
  void FailPongsLocked(const Status& status);
  bool OnInternalThread() const;

  // conn_write.cc: who sends out_, and when.
  void WriterLoop();
  void EnterFloodLocked();
  // After bytes went into out_: decides who sends them. May release the lock.
  void AfterAppendLocked(std::unique_lock<std::mutex>& lock, bool was_empty, bool write_now);
  // Writes out_ from the calling thread when no write is in flight (else the
  // in-flight writer picks it up). Saves the hand-off to the writer thread on
  // latency-bound calls: Request, Flush, and every publish with send_asap.
  void WriteNowLocked(std::unique_lock<std::mutex>& lock);

  // conn_publish.cc
  // The common publish (no reply, no headers, nothing to decide) in one
  // piece; false, with nothing appended, when the general path must run.
  [[gnu::always_inline]] bool TryPublishFast(std::string_view subject, std::string_view data);
  // Everything else, kept out of line so Publish() stays small.
  [[gnu::noinline]] Status PublishGeneral(std::string_view subject, std::string_view reply, std::string_view headers,
                                          std::string_view data);
  Status AppendPubLocked(std::unique_lock<std::mutex>& lock, size_t wire, std::string_view subject,
                         std::string_view reply, std::string_view headers, std::string_view data,
                         bool write_now = false);
  Status WaitForRoomLocked(std::unique_lock<std::mutex>& lock, size_t wire);

  // conn_pubsub.cc
  Status EnsureMuxLocked();
  void AppendResubsLocked(OutBuffer& out);
  Status WaitIdle(SubState& sub, std::chrono::steady_clock::time_point deadline);

  // A publisher whose buffer passed this (and no write is in flight) sends it
  // itself, instead of leaving it to the writer thread.
  static constexpr size_t kSelfFlushBytes = 64 * 1024;

  const Options options_;
  // Below this buffer size a publish needs no decision about who sends it
  // (conn_publish.cc); 0 with send_asap, where every publish decides.
  const size_t pub_fast_limit_;
  const std::string id_;
  RequestMux mux_;

  mutable std::mutex mu_;
  std::condition_variable writer_cv_;  // out_ has bytes, ping due, or stop
  std::condition_variable space_cv_;   // out_ shrank (publishers waiting for room)
  std::condition_variable close_cv_;   // wakes the reconnect backoff sleep
  ConnState state_ = ConnState::kConnecting;
  bool was_connected_ = false;
  bool writer_stop_ = false;
  bool writer_waiting_ = false;    // the writer sleeps until told; whoever makes out_ non-empty tells it
  bool writing_ = false;           // a write is in flight (writer thread or WriteNowLocked): writes never overlap
  bool flood_ = false;             // the writer stepped aside for publishers that send for themselves (conn_write.cc)
  uint64_t own_sends_ = 0;         // writes by WriteNowLocked, which flood mode watches
  uint64_t flood_seen_sends_ = 0;  // own_sends_ at the writer's last look in flood mode
  Clock::time_point last_send_end_{};  // when the last write finished
  int short_gaps_ = 0;                 // publishes in a row that refilled out_ right after a send
  OutBuffer direct_buf_;               // WriteNowLocked's buffer; only the thread holding writing_ touches it
  OutBuffer out_;
  std::shared_ptr<Transport> transport_;
  TransportInfo transport_info_;                   // what transport_ is
  std::shared_ptr<Transport> dialing_;             // the transport being handshaken, so Close can interrupt it
  std::deque<std::shared_ptr<PongWaiter>> pongs_;  // null entries are keep-alive PINGs
  int pings_out_ = 0;
  ServerInfo info_;
  ServerUrl current_url_;
  size_t current_index_ = 0;
  std::vector<ServerUrl> servers_;
  // TLS for every server of this connection, not only where the server asks
  // for it (tls:// URLs, TlsOptions). Set in Start(), read-only after.
  bool secure_ = false;
  // Created in Start() when secure_, else by the first connect to a server
  // that requires TLS; only the connecting thread (Start's, then the I/O
  // thread) touches it.
  std::unique_ptr<TlsContext> tls_ctx_;
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

  proto::nats::ClientParser parser_;  // the read-role holder's (or the connecting thread's)
  std::string leftover_;              // bytes read past the handshake PONG
  static constexpr size_t kReadBuffer = 128 * 1024;
  const std::unique_ptr<char[]> rd_buf_;  // kReadBuffer bytes, the read-role holder's
  bool rd_published_ = false;             // the holder appended to out_ while parsing; it sends them

  std::mutex rd_mu_;
  std::condition_variable rd_cv_;            // the role was released (the I/O thread waits for it)
  bool rd_busy_ = false;                     // someone holds the read role
  bool rd_io_waiting_ = false;               // the I/O thread waits on rd_cv_
  std::shared_ptr<Transport> rd_transport_;  // what the role reads; null between connections
  Status rd_error_;                          // why a non-I/O holder stopped reading; ends the connection

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
