// The load generator's TLS client: OpenSSL over its own two-way BIO.
//
// Reads go straight to the socket (recv, optionally MSG_DONTWAIT) so one
// syscall can fetch many records (read-ahead into a big buffer). Writes only
// collect ciphertext in wire(): the caller sends it with its own loop (its
// deadlines, its stop flag), so a 256 KiB batch becomes 16 records and one
// send() instead of one send() per record. A read first pushes out what is
// collected, so a handshake flight leaves before its answer is waited for.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

struct ssl_ctx_st;
struct ssl_st;

namespace tern::loadgen {

class TlsClientContext {
 public:
  // `ca_file` empty: the server's certificate is not checked (test setups
  // with throw-away certificates); otherwise it must chain to it and name
  // the host dialled. Null with *error set on failure.
  static std::shared_ptr<TlsClientContext> Create(const std::string& ca_file, std::string* error);
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  ssl_ctx_st* ctx() const { return ctx_; }
  bool verify() const { return verify_; }

 private:
  TlsClientContext(ssl_ctx_st* ctx, bool verify) : ctx_(ctx), verify_(verify) {}
  ssl_ctx_st* ctx_;
  bool verify_;
};

class TlsSession {
 public:
  enum class Step { kDone, kWantRead, kError };
  // Plaintext read outcomes besides a byte count (> 0).
  static constexpr long kClosed = 0;
  static constexpr long kWouldBlock = -1;
  static constexpr long kFailed = -2;

  // `fd` is connected. `lean`: give record buffers back between reads (many
  // idle connections), at the price of a malloc per read.
  TlsSession(const TlsClientContext& context, int fd, const std::string& host, bool lean);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Advances the client handshake; send wire() after every call.
  Step Handshake();
  // Up to `len` plaintext bytes. With `wait` a read may block for the
  // socket's receive timeout; without, it never blocks.
  long Read(char* buf, size_t len, bool wait);
  // True while decrypted or undecrypted bytes sit in OpenSSL's buffers.
  bool HasBuffered() const;
  // Appends the records for `plain` to wire().
  bool Encrypt(std::string_view plain);

  std::string& wire() { return wire_; }
  const std::string& error() const { return error_; }

  // BIO callbacks.
  int BioRead(char* buf, int len);
  int BioWrite(const char* data, int len);

 private:
  void FlushSome();
  std::string Errors(std::string_view what);

  ssl_st* ssl_ = nullptr;
  int fd_;
  bool dontwait_ = false;
  std::string wire_;  // ciphertext not yet sent
  std::string error_;
};

}  // namespace tern::loadgen
