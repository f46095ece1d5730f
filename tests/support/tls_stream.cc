#include "tls_stream.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <climits>
#include <map>
#include <memory>
#include <mutex>

namespace tern::testing {
namespace {

// OpenSSL writes to the socket with write(), which raises SIGPIPE when the
// server has already closed; a test wants the error, not a dead process.
void IgnoreSigpipe() {
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

std::string OpensslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no OpenSSL error queued" : out;
}

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};

// One context per distinct configuration for the life of the test process:
// loading the CA and key for each of a thousand connections would dominate
// the tests that open them. The map owns them, so that they are freed at exit
// (a map of raw pointers let LeakSanitizer report each one).
SSL_CTX* ContextFor(const TlsClientConfig& config, std::string* error) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<SSL_CTX, SslCtxFree>> contexts;
  const std::string key = config.ca_file + "\n" + config.cert_file + "\n" + config.key_file;
  std::lock_guard lock(mu);
  if (auto it = contexts.find(key); it != contexts.end()) return it->second.get();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    *error = "SSL_CTX_new: " + OpensslErrors();
    return nullptr;
  }
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // A server that closes without close_notify (most do after an -ERR) is a
  // close, not a protocol error.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (!config.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, config.ca_file.c_str(), nullptr) != 1) {
      *error = "loading CA " + config.ca_file + ": " + OpensslErrors();
      SSL_CTX_free(ctx);
      return nullptr;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  }
  if (!config.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, config.cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, config.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      *error = "loading client certificate " + config.cert_file + ": " + OpensslErrors();
      SSL_CTX_free(ctx);
      return nullptr;
    }
  }
  contexts[key].reset(ctx);
  return ctx;
}

}  // namespace

std::unique_ptr<TlsStream> TlsStream::Handshake(std::unique_ptr<ByteStream> lower, const TlsClientConfig& config,
                                                Deadline deadline, std::string* error) {
  IgnoreSigpipe();
  ERR_clear_error();
  SSL_CTX* ctx = ContextFor(config, error);
  if (ctx == nullptr) return nullptr;
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) {
    *error = "SSL_new: " + OpensslErrors();
    return nullptr;
  }
  SSL_set_fd(ssl, lower->fd());
  SSL_set_tlsext_host_name(ssl, config.server_name.c_str());
  SSL_set1_host(ssl, config.server_name.c_str());
  std::unique_ptr<TlsStream> stream(new TlsStream(std::move(lower), ssl));
  for (;;) {
    int ret = SSL_connect(ssl);
    if (ret == 1) return stream;
    if (IoStatus s = stream->Wait(ret, deadline, error, "TLS handshake"); s != IoStatus::kOk) {
      if (long verify = SSL_get_verify_result(ssl); verify != X509_V_OK) {
        *error += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
      }
      return nullptr;
    }
  }
}

TlsStream::~TlsStream() { SSL_free(ssl_); }

IoStatus TlsStream::Wait(int ret, Deadline deadline, std::string* error, const char* what) {
  const int code = SSL_get_error(ssl_, ret);
  switch (code) {
    case SSL_ERROR_WANT_READ:
      if (RemainingMs(deadline) == 0 || !WaitFor(fd(), POLLIN, deadline)) {
        *error = "timed out";
        return IoStatus::kTimeout;
      }
      return IoStatus::kOk;
    case SSL_ERROR_WANT_WRITE:
      if (!WaitFor(fd(), POLLOUT, deadline)) {
        *error = std::string(what) + " timed out writing";
        return IoStatus::kTimeout;
      }
      return IoStatus::kOk;
    case SSL_ERROR_ZERO_RETURN:
      *error = "connection closed by server";
      return IoStatus::kClosed;
    case SSL_ERROR_SYSCALL:
      // EOF or reset under TLS: the server went away.
      *error = std::string(what) + ": connection closed by server (" + OpensslErrors() + ")";
      return IoStatus::kClosed;
    default:
      // An alert from the server (a refused certificate, a handshake it
      // gave up on) ends the connection as surely as a FIN does.
      *error = std::string(what) + ": " + OpensslErrors();
      return IoStatus::kClosed;
  }
}

IoStatus TlsStream::Write(std::string_view data, Deadline deadline, std::string* error) {
  ERR_clear_error();
  size_t off = 0;
  while (off < data.size()) {
    const int chunk = static_cast<int>(std::min<size_t>(data.size() - off, INT_MAX));
    int n = SSL_write(ssl_, data.data() + off, chunk);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (IoStatus s = Wait(n, deadline, error, "TLS write"); s != IoStatus::kOk) {
      *error += " after " + std::to_string(off) + " of " + std::to_string(data.size()) + " bytes";
      return s;
    }
  }
  return IoStatus::kOk;
}

IoStatus TlsStream::Read(std::string* out, Deadline deadline, std::string* error) {
  ERR_clear_error();
  char tmp[64 * 1024];
  for (;;) {
    int n = SSL_read(ssl_, tmp, sizeof(tmp));
    if (n > 0) {
      out->append(tmp, static_cast<size_t>(n));
      return IoStatus::kOk;
    }
    if (IoStatus s = Wait(n, deadline, error, "TLS read"); s != IoStatus::kOk) return s;
  }
}

void TlsStream::ShutdownWrite() {
  SSL_shutdown(ssl_);  // close_notify; we do not wait for the server's
  ::shutdown(fd(), SHUT_WR);
}

void TlsStream::Goodbye() { SSL_shutdown(ssl_); }

std::string TlsStream::protocol_version() const { return SSL_get_version(ssl_); }

std::string MakeClientHello(const std::string& server_name) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);
  SSL_set_tlsext_host_name(ssl, server_name.c_str());
  SSL_set_connect_state(ssl);
  SSL_do_handshake(ssl);  // WANT_READ after writing the ClientHello into `out`
  std::string hello;
  char buf[4096];
  int n;
  while ((n = BIO_read(out, buf, sizeof(buf))) > 0) hello.append(buf, static_cast<size_t>(n));
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return hello;
}

}  // namespace tern::testing
