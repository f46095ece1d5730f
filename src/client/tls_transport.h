// TLS for the client, as a layer over another Transport: over TCP for
// tls:// (and nats:// servers that require TLS), under WebSocket for wss://.
//
// OpenSSL runs on memory BIOs: the SSL object never touches the socket, so
// encrypting and decrypting happen under a short lock and the blocking socket
// calls outside it. One SSL object may not be used by two threads at once,
// and with a socket BIO the reader would then wait for a writer blocked on a
// full socket, while the server, unable to send to us, stops reading: the
// two ends stall each other. With memory BIOs the reader keeps draining
// whatever the writer does.
//
// OpenSSL stays out of every header but tls_transport.cc; public headers see
// only tern::TlsOptions.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "tern/options.h"
#include "tern/status.h"
#include "transport.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace tern::internal {

// The client's TLS settings loaded once (the CA file or the system store, the
// client certificate) and shared by every connect and reconnect of one
// Connection, so a reconnect uses exactly the settings the first connect had.
class TlsContext {
 public:
  // kInvalidArgument naming the file when a CA file, certificate or key
  // cannot be loaded, or the key does not match the certificate.
  static Result<std::unique_ptr<TlsContext>> Create(const TlsOptions& options);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // Runs the TLS handshake over `lower` (connected; whether before or after
  // the server's INFO is the caller's business) by `deadline`, checking the
  // server's certificate against `host` unless TlsOptions::server_name says
  // otherwise. kConnectFailed says why it failed in words a user can act on:
  // certificate not trusted, host name mismatch, client certificate missing
  // or rejected, a server that does not answer in TLS.
  Result<std::shared_ptr<Transport>> Handshake(std::shared_ptr<Transport> lower, const std::string& host,
                                               std::chrono::steady_clock::time_point deadline) const;

 private:
  TlsContext(ssl_ctx_st* ctx, TlsOptions options) : ctx_(ctx), options_(std::move(options)) {}

  ssl_ctx_st* ctx_;
  const TlsOptions options_;
};

}  // namespace tern::internal
