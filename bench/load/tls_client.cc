#include "tls_client.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tern::loadgen {
namespace {

// Ciphertext fetched per recv() with read-ahead: as much as a plain TCP
// connection reads at once (Conn::kReadBuffer), so TLS costs no extra
// syscalls per byte.
constexpr long kReadAhead = 256 * 1024;

TlsSession* SessionOf(BIO* bio) { return static_cast<TlsSession*>(BIO_get_data(bio)); }

BIO_METHOD* SocketBio() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "loadgen-socket");
    BIO_meth_set_write(m, [](BIO* bio, const char* data, int len) {
      BIO_clear_retry_flags(bio);
      return SessionOf(bio)->BioWrite(data, len);
    });
    BIO_meth_set_read(m, [](BIO* bio, char* buf, int len) {
      BIO_clear_retry_flags(bio);
      int n = SessionOf(bio)->BioRead(buf, len);
      if (n < 0) BIO_set_retry_read(bio);
      return n;
    });
    BIO_meth_set_ctrl(m, [](BIO*, int cmd, long, void*) -> long { return cmd == BIO_CTRL_FLUSH ? 1 : 0; });
    BIO_meth_set_create(m, [](BIO* bio) {
      BIO_set_init(bio, 1);
      return 1;
    });
    return m;
  }();
  return method;
}

std::string DrainErrors() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!text.empty()) text += "; ";
    text += buf;
  }
  return text;
}

}  // namespace

std::shared_ptr<TlsClientContext> TlsClientContext::Create(const std::string& ca_file, std::string* error) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    *error = "SSL_CTX_new: " + DrainErrors();
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Partial and moved writes never happen (the BIO takes everything), but
  // say so rather than depend on it.
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_read_ahead(ctx, 1);
  SSL_CTX_set_default_read_buffer_len(ctx, kReadAhead);
  // Every connection does a full handshake, as a fleet of fresh clients would.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  // A server that hangs up without close_notify has closed, not failed.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  bool verify = !ca_file.empty();
  if (verify) {
    if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
      *error = "cannot load CA file " + ca_file + ": " + DrainErrors();
      SSL_CTX_free(ctx);
      return nullptr;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  return std::shared_ptr<TlsClientContext>(new TlsClientContext(ctx, verify));
}

TlsClientContext::~TlsClientContext() { SSL_CTX_free(ctx_); }

TlsSession::TlsSession(const TlsClientContext& context, int fd, const std::string& host, bool lean) : fd_(fd) {
  ssl_ = SSL_new(context.ctx());
  if (ssl_ == nullptr) {
    error_ = Errors("SSL_new");
    return;
  }
  if (lean) SSL_set_mode(ssl_, SSL_MODE_RELEASE_BUFFERS);
  BIO* bio = BIO_new(SocketBio());
  BIO_set_data(bio, this);
  BIO_up_ref(bio);  // SSL_set_bio takes one reference for each direction
  SSL_set_bio(ssl_, bio, bio);
  SSL_set_connect_state(ssl_);
  in_addr ip{};
  bool is_ip = inet_pton(AF_INET, host.c_str(), &ip) == 1;
  if (!is_ip) SSL_set_tlsext_host_name(ssl_, host.c_str());
  if (context.verify()) {
    if (is_ip) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host.c_str());
    } else {
      SSL_set1_host(ssl_, host.c_str());
    }
  }
}

TlsSession::~TlsSession() {
  if (ssl_ != nullptr) SSL_free(ssl_);
}

std::string TlsSession::Errors(std::string_view what) {
  std::string text(what);
  std::string detail = DrainErrors();
  if (!detail.empty()) text += ": " + detail;
  return text;
}

int TlsSession::BioWrite(const char* data, int len) {
  wire_.append(data, static_cast<size_t>(len));
  return len;
}

void TlsSession::FlushSome() {
  ssize_t n = ::send(fd_, wire_.data(), wire_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n > 0) wire_.erase(0, static_cast<size_t>(n));
}

int TlsSession::BioRead(char* buf, int len) {
  if (!wire_.empty()) FlushSome();
  for (;;) {
    ssize_t n = ::recv(fd_, buf, static_cast<size_t>(len), dontwait_ ? MSG_DONTWAIT : 0);
    if (n >= 0) return static_cast<int>(n);  // 0: EOF, which SSL reports as a syscall error
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return -1;
    error_ = std::string("recv: ") + std::strerror(errno);
    return -1;
  }
}

TlsSession::Step TlsSession::Handshake() {
  if (ssl_ == nullptr) return Step::kError;
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl_);
  if (rc == 1) return Step::kDone;
  int err = SSL_get_error(ssl_, rc);
  if ((err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) && error_.empty()) return Step::kWantRead;
  if (error_.empty()) {
    long verify = SSL_get_verify_result(ssl_);
    error_ = Errors("TLS handshake");
    if (verify != X509_V_OK) error_ += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
    if (err == SSL_ERROR_SYSCALL) error_ += " (connection closed)";
  }
  return Step::kError;
}

long TlsSession::Read(char* buf, size_t len, bool wait) {
  dontwait_ = !wait;
  ERR_clear_error();
  int n = SSL_read(ssl_, buf, static_cast<int>(std::min<size_t>(len, 1 << 30)));
  dontwait_ = false;
  if (n > 0) return n;
  int err = SSL_get_error(ssl_, n);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return error_.empty() ? kWouldBlock : kFailed;
  if (err == SSL_ERROR_ZERO_RETURN) return kClosed;
  if (err == SSL_ERROR_SYSCALL && error_.empty() && ERR_peek_error() == 0) return kClosed;  // EOF without close_notify
  if (error_.empty()) error_ = Errors("TLS read");
  return kFailed;
}

bool TlsSession::HasBuffered() const { return SSL_has_pending(ssl_) == 1; }

bool TlsSession::Encrypt(std::string_view plain) {
  ERR_clear_error();
  while (!plain.empty()) {
    int chunk = static_cast<int>(std::min<size_t>(plain.size(), 1 << 30));
    int n = SSL_write(ssl_, plain.data(), chunk);
    if (n <= 0) {
      error_ = Errors("TLS write");
      return false;
    }
    plain.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace tern::loadgen
