// A connection to a NATS-protocol server (tern-server or nats-server).
//
// Threads: one I/O thread reads, parses and reconnects, except while a thread
// waiting in Request() or Flush() reads the socket itself; one writer thread
// flushes the outgoing buffer in large chunks when the publishing thread does
// not; handlers run on the dispatch pool (or the one serial thread, or the
// reading thread, see DispatchMode); events run on their own thread. Request
// replies are matched by the reading thread, so a pool or serial handler may
// call Request() or Flush() without deadlocking (though in serial mode a
// request answered by a handler of the same connection waits for the serial
// thread it is blocking, and times out).
//
// Thread-safety: every method is safe to call concurrently from any thread.
// Close(), Drain() and the destructor wait for the internal threads, so they
// must not be called from a message handler or the event callback; Close() and
// Drain() return kInvalidArgument if they are.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tern/message.h"
#include "tern/options.h"
#include "tern/status.h"
#include "tern/subscription.h"

namespace tern {

namespace internal {
class ConnImpl;
}

struct SubscribeSpec {
  std::string subject;
  std::string queue;  // empty: plain subscription
  Handler handler;
};

struct ConnectionStats {
  uint64_t in_msgs = 0;
  uint64_t in_bytes = 0;
  uint64_t out_msgs = 0;
  uint64_t out_bytes = 0;
  uint64_t reconnects = 0;
  uint64_t dropped = 0;  // messages dropped by full subscription queues
};

enum class ConnState { kConnecting, kConnected, kReconnecting, kDraining, kClosed };

// What carries the connection to the current server.
struct TransportInfo {
  bool tls = false;         // asked for (tls://, Options::tls) or required by the server
  bool websocket = false;   // ws:// or wss://
  std::string tls_version;  // "TLSv1.3"
  std::string tls_cipher;   // "TLS_AES_256_GCM_SHA384"
};

class Connection {
 public:
  // Connects to the first reachable server of options.servers and completes
  // the handshake (INFO, CONNECT, PING/PONG), so credentials are checked here.
  static Result<std::unique_ptr<Connection>> Connect(Options options);
  static Result<std::unique_ptr<Connection>> Connect(std::string url);

  ~Connection();  // Close()
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Appends the message to the outgoing buffer under a short lock; it is sent
  // from this thread (a lone message) or by the writer thread (a stream, see
  // src/client/README.md). Ok means buffered, not delivered. While
  // reconnecting, publishes are kept up to ReconnectPolicy::buffer_bytes (then
  // kBufferFull).
  Status Publish(std::string_view subject, std::string_view data);
  Status Publish(std::string_view subject, std::string_view reply, std::string_view data);
  // Subject, reply, headers (HPUB when non-empty) and data of msg.
  Status Publish(const Message& msg);
  // All or nothing: every message is appended in one go, so they leave in one
  // write and no other publish interleaves.
  Status PublishBatch(std::span<const Message> msgs);

  // handler runs per DispatchMode; its Message reference is valid during the call.
  Result<Subscription> Subscribe(std::string_view subject, Handler handler);
  Result<Subscription> QueueSubscribe(std::string_view subject, std::string_view queue, Handler handler);
  // A pollable subscription: messages wait in a bounded queue of `capacity`
  // for Subscription::Next(); when it is full new ones are dropped and counted,
  // the connection never blocks.
  Result<Subscription> SubscribeChannel(std::string_view subject, size_t capacity = 65536, std::string_view queue = {});
  // All SUBs go out in one write; all or nothing.
  Result<std::vector<Subscription>> SubscribeBatch(std::span<const SubscribeSpec> specs);

  // Publishes with a unique reply subject on the connection's shared inbox
  // (_INBOX.<nuid>.*, one subscription for all requests) and waits for the
  // first reply. kNoResponders when nobody is subscribed (the server says so
  // at once), kTimeout when subscribers exist but none answered in time.
  Result<Message> Request(std::string_view subject, std::string_view data, std::chrono::milliseconds timeout);
  // As above with msg's headers; msg.reply is ignored.
  Result<Message> Request(const Message& msg, std::chrono::milliseconds timeout);

  // Sends PING and waits for the PONG, which proves the server has processed
  // everything sent before it. cluster = true (needs
  // Options::interest_barrier): the PONG also proves that every node of a
  // tern cluster knows this connection's subscriptions, so a message
  // published anywhere after it reaches them. With that option on, every
  // PING is such a barrier (the server cannot tell them apart), so a plain
  // Flush() waits for the peers too.
  Status Flush(std::chrono::milliseconds timeout, bool cluster = false);
  // Unsubscribes everything, lets in-flight messages be handled, flushes
  // pending publishes, then closes. Publishing stays allowed until the flush.
  Status Drain(std::chrono::milliseconds timeout);
  // Closes now; queued handlers are skipped, waiting calls return kClosed.
  Status Close();

  ConnState state() const;
  bool connected() const { return state() == ConnState::kConnected; }
  // A fresh unique subject under the inbox prefix, for hand-made replies.
  std::string NewInbox() const;
  // This client's id for direct messages (Options::client_id or random).
  const std::string& id() const;
  ServerInfo server_info() const;
  std::string connected_url() const;
  // All false while not connected.
  TransportInfo transport_info() const;
  ConnectionStats stats() const;
  const Options& options() const;

 private:
  explicit Connection(std::shared_ptr<internal::ConnImpl> impl);
  std::shared_ptr<internal::ConnImpl> impl_;
};

}  // namespace tern
