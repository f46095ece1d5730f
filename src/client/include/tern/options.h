// Everything a Connection can be told at connect time, with defaults that suit
// a service talking to a local cluster. Tests shorten the timers.
// Copied into the Connection at Connect(); later changes have no effect.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tern/status.h"

namespace tern {

using std::chrono::milliseconds;

// Jittered exponential backoff between full passes over the server list:
// pass n waits min(initial_delay * 2^n, max_delay), scaled by a random factor
// in [1 - jitter, 1 + jitter] so a fleet of clients does not reconnect in step.
struct ReconnectPolicy {
  bool enabled = true;
  int max_attempts = -1;  // passes over the server list before giving up; -1: forever
  milliseconds initial_delay{1000};
  milliseconds max_delay{32000};
  double jitter = 0.2;
  // Publishes made while disconnected are kept up to this many bytes (wire
  // form) and sent after reconnecting; past it Publish returns kBufferFull.
  size_t buffer_bytes = 8 * 1024 * 1024;
};

enum class DispatchMode {
  // Handlers run on a pool of threads. Messages of one subscription are
  // handled one at a time in arrival order; different subscriptions run in
  // parallel, so a slow handler stalls only its own subscription.
  kPool,
  // Every handler of the connection runs on one thread in arrival order, so
  // application state touched only from handlers needs no locks.
  kSerial,
  // Handlers run on the thread that reads the socket, in arrival order, with
  // no hand-off: the lowest latency, for handlers that answer at once (a
  // responder). That thread is the connection's I/O thread, or an
  // application thread of this connection waiting in Request() or Flush(),
  // which reads for itself meanwhile. A handler must not block: nothing else
  // is read while it runs. Request(), Flush(), Drain(), Close() and
  // Subscription::Drain() from it return kInvalidArgument; Publish() is fine,
  // and its bytes go out when the current read has been handled, in one write
  // with every other reply made from that read.
  kInline,
};

enum class EventType {
  kDisconnected,  // the connection to the server dropped; reconnecting if enabled
  kReconnected,   // connected again; subscriptions were restored
  kClosed,        // closed for good (Close(), Drain(), or reconnect gave up)
  kSlowConsumer,  // a subscription's pending queue was full; messages dropped
  kServerError,   // the server sent -ERR
  kLameDuck,      // the server is shutting down and asked clients to move
};

std::string_view EventTypeName(EventType type);

struct Event {
  EventType type;
  Status status;        // the error behind the event, ok for kReconnected
  std::string subject;  // kSlowConsumer: the subscription's subject
  std::string server;   // the server URL involved, when there is one
};

// TLS, as nats.go does it. It is used when a server URL is tls:// or wss://, when
// `required`, ca_file, cert_file or handshake_first is set (for every server
// of the connection, discovered ones too), and whenever a server's INFO says
// tls_required: nats-server with TLS on sends INFO in plaintext, then expects
// the handshake, then CONNECT over TLS. The settings are loaded once at
// Connect() (a file that cannot be read fails it) and reused on reconnect.
struct TlsOptions {
  bool required = false;  // TLS even for nats:// URLs; a server that offers none fails the connect
  // PEM file of the CAs that may sign the server's certificate; empty: the
  // system's store.
  std::string ca_file;
  // Client certificate (PEM, may hold the chain) and its private key, for
  // servers that verify clients (nats-server --tlsverify). Empty key_file:
  // the key is in cert_file.
  std::string cert_file;
  std::string key_file;
  // The name the server's certificate must carry, also sent as SNI; empty:
  // the host of the URL being connected to (an IP is checked as an IP).
  std::string server_name;
  // Accept any server certificate. For tests only: it gives up exactly the
  // protection against a man in the middle that TLS is there for.
  bool insecure_skip_verify = false;
  // Handshake before the server's INFO instead of after it, for servers set
  // up that way (nats-server 2.10 `handshake_first`); a server that sends
  // its INFO first fails the connect.
  bool handshake_first = false;
};

struct Options {
  // Tried in order on connect; on reconnect also every URL the servers
  // advertise. "nats://host:port", "tls://host:port", "tcp://host:port",
  // "host:port", and the WebSocket listener's "ws://host:port[/path]" and
  // "wss://host:port[/path]" (TLS, then the upgrade; ports 80 and 443 by
  // default). "nats://user:pass@host:port" and "nats://token@host:port"
  // carry credentials.
  std::vector<std::string> servers = {"nats://127.0.0.1:4222"};
  std::string name;  // shown by the server's monitoring
  std::string user;
  std::string password;
  std::string token;
  // A user NKey seed ("SU..."): the client signs the nonce of the server's
  // INFO with it and sends its public key (nats-server's NKey users).
  std::string nkey_seed;

  TlsOptions tls;

  milliseconds connect_timeout{2000};  // TCP connect plus INFO/CONNECT/PONG handshake (and TLS)
  milliseconds ping_interval{120000};  // keep-alive; a silent server is dropped after max_pings_out
  int max_pings_out = 2;
  // While connected, a publisher that outruns the socket waits up to this
  // long for the buffer to drain below max_pending_out, then gets kBufferFull.
  // A single socket write blocked this long drops the connection (the server
  // stopped reading) and reconnects.
  milliseconds write_timeout{5000};
  size_t max_pending_out = 32 * 1024 * 1024;

  // Publish writes to the socket from the caller's thread whenever no write
  // is in flight, even in the middle of a stream of publishes (one write per
  // message), instead of leaving a stream to the writer thread: no message
  // waits for a batch, at the price of throughput. Without it, lone messages
  // are already written from the caller's thread; Request() and Flush()
  // always are.
  bool send_asap = false;

  ReconnectPolicy reconnect;
  // When the first connect fails, keep trying in the background (Connect
  // still returns a Connection) instead of returning kConnectFailed.
  bool retry_on_failed_connect = false;

  DispatchMode dispatch = DispatchMode::kPool;
  int pool_threads = 4;  // kPool only

  // Default bound of every subscription's pending queue; past either the
  // message is dropped and counted, and a kSlowConsumer event is raised.
  size_t sub_pending_msgs = 65536;
  size_t sub_pending_bytes = 64 * 1024 * 1024;

  bool echo = true;  // false: do not receive our own publishes
  // Ask a tern server to answer PINGs only once every node of its cluster
  // has this connection's subscriptions (the interest barrier, see
  // Connection::Flush). Ignored by nats-server.
  bool interest_barrier = false;
  std::string inbox_prefix = "_INBOX";
  // Identity for direct messages (_TERN.DM.<client_id>); random when empty.
  std::string client_id;

  // Called on a dedicated event thread, never on the I/O thread, so it may
  // call any Connection method except Close(), Drain() and the destructor.
  std::function<void(const Event&)> on_event;
};

// What the server said about itself in INFO.
struct ServerInfo {
  std::string server_id;
  std::string server_name;
  std::string version;
  std::string host;
  int port = 0;
  int64_t max_payload = 1024 * 1024;
  bool headers = false;
  bool auth_required = false;
  std::string nonce;           // to be signed by an NKey client
  bool tls_required = false;   // the server takes only TLS clients
  bool tls_available = false;  // the server takes TLS and plaintext clients
  bool tls_verify = false;     // the server wants a client certificate
  uint64_t client_id = 0;
  std::vector<std::string> connect_urls;
  bool lame_duck = false;
  bool interest_barrier = false;  // a tern server that offers the barrier
};

}  // namespace tern
