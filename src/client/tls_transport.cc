#include "tls_transport.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <mutex>
#include <vector>

#include "url.h"

namespace tern::internal {
namespace {

using Clock = std::chrono::steady_clock;

// Plaintext is encrypted in pieces of this size, so one large write neither
// doubles its memory at once nor waits for all of it before sending.
constexpr size_t kWriteChunk = 64 * 1024;
constexpr size_t kCipherReadBuffer = 64 * 1024;

constexpr const char* kNoClientCert =
    "the server requires a client certificate and none is configured (set tls.cert_file and tls.key_file)";

// The reasons OpenSSL queued on this thread, most specific last; clears them.
std::string TakeOpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(e);
    std::string text = reason != nullptr ? reason : "error " + std::to_string(ERR_GET_REASON(e));
    if (out.find(text) != std::string::npos) continue;
    out += (out.empty() ? "" : "; ") + text;
  }
  return out;
}

bool IsAlertAboutOurCertificate(int reason) {
  switch (reason) {
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
      return true;
    default:
      return false;
  }
}

bool Readable(const std::string& path, std::string* why) {
  if (::access(path.c_str(), R_OK) == 0) return true;
  *why = std::strerror(errno);
  return false;
}

class TlsTransport : public Transport {
 public:
  TlsTransport(std::shared_ptr<Transport> lower, SSL* ssl, const TlsOptions& options)
      : lower_(std::move(lower)),
        ssl_(ssl),
        rbio_(SSL_get_rbio(ssl)),
        wbio_(SSL_get_wbio(ssl)),
        has_cert_(!options.cert_file.empty()),
        ca_file_(options.ca_file),
        insecure_(options.insecure_skip_verify),
        cipher_in_(kCipherReadBuffer) {
    SSL_set_app_data(ssl_, this);
  }
  ~TlsTransport() override { SSL_free(ssl_); }  // frees both BIOs too

  Status Handshake(const std::string& name, Clock::time_point deadline);

  long Read(char* buf, size_t size, std::chrono::milliseconds timeout) override;
  long TryRead(char* buf, size_t size) override;
  Wait WaitReadable(std::chrono::milliseconds timeout) override { return lower_->WaitReadable(timeout); }
  void Rearm() override;
  bool WriteAll(std::string_view data) override;
  void Shutdown() override { lower_->Shutdown(); }
  void Wake() override { lower_->Wake(); }
  std::string LastError() const override;
  void Describe(TransportInfo* info) const override;

  // SSL_CTX's client certificate callback: OpenSSL calls it (inside
  // SSL_do_handshake, so under ssl_mu_) when the server asks for a
  // certificate and none is configured. We send none, and remember it: a
  // server that insists closes the connection, often before its alert can
  // be read, and this is then the only clue.
  void OnCertificateRequested() { asked_for_cert_ = true; }

 private:
  // Appends what the write BIO holds (ciphertext to send). ssl_mu_ held.
  void TakeOutputLocked(std::string* out);
  // Turns a failed SSL call into error_. ssl_mu_ held.
  void RecordFailureLocked(int ssl_error);
  // Sends the ciphertext a reader left behind. wr_mu_ held.
  bool SendPendingLocked();
  // Called by a reader whose SSL_read produced ciphertext to send (a TLS 1.3
  // key update reply). It must not block on wr_mu_: the writer holding it
  // may be blocked on a full socket that only our reading can unblock.
  void FlushFromReader();
  // One SSL_read into buf; ssl_mu_ taken inside. Returns the SSL_read result
  // and sets *ssl_error.
  int SslRead(char* buf, size_t size, int* ssl_error);

  const std::shared_ptr<Transport> lower_;
  SSL* const ssl_;
  BIO* const rbio_;  // ciphertext from the server, fed by the reader
  BIO* const wbio_;  // ciphertext for the server, taken by the writer
  const bool has_cert_;
  const std::string ca_file_;
  const bool insecure_;

  // Lock order: wr_mu_ -> ssl_mu_. ssl_mu_ is never held across a syscall.
  std::mutex wr_mu_;                      // one sender of ciphertext at a time, so records leave in order
  mutable std::mutex ssl_mu_;             // the SSL object and its BIOs, error_, the flags below
  std::atomic<bool> out_pending_{false};  // a reader left ciphertext in wbio_
  std::string error_;
  std::string host_;
  bool asked_for_cert_ = false;
  bool got_data_ = false;        // any plaintext from the server yet
  std::vector<char> cipher_in_;  // the reader's (one at a time: the read role)
  std::string cipher_out_;       // the writer's, under wr_mu_
};

int OnClientCertRequest(SSL* ssl, X509**, EVP_PKEY**) {
  static_cast<TlsTransport*>(SSL_get_app_data(ssl))->OnCertificateRequested();
  return 0;  // no certificate: the handshake goes on without one
}

void TlsTransport::TakeOutputLocked(std::string* out) {
  size_t pending = BIO_ctrl_pending(wbio_);
  if (pending == 0) return;
  size_t old = out->size();
  out->resize(old + pending);
  int n = BIO_read(wbio_, out->data() + old, static_cast<int>(pending));
  out->resize(old + static_cast<size_t>(std::max(n, 0)));
}

void TlsTransport::RecordFailureLocked(int ssl_error) {
  int reason = ERR_GET_REASON(ERR_peek_last_error());
  std::string errors = TakeOpenSslErrors();
  long verify = SSL_get_verify_result(ssl_);
  std::string why;
  if (!insecure_ && verify != X509_V_OK) {
    const std::string detail = X509_verify_cert_error_string(verify);
    switch (verify) {
      case X509_V_ERR_HOSTNAME_MISMATCH:
      case X509_V_ERR_IP_ADDRESS_MISMATCH:
        why = "the server's certificate is not valid for '" + host_ +
              "' (connect by a name the certificate carries, or set tls.server_name)";
        break;
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      case X509_V_ERR_CERT_UNTRUSTED:
        why = "the server's certificate is not trusted: " + detail +
              (ca_file_.empty() ? " (checked against the system's CAs; give the server's CA with tls.ca_file)"
                                : " (checked against the CAs in " + ca_file_ + ")");
        break;
      default:
        why = "the server's certificate was refused: " + detail;
    }
  } else if (asked_for_cert_ && !has_cert_) {
    why = kNoClientCert;
  } else if (has_cert_ && IsAlertAboutOurCertificate(reason)) {
    why = "the server refused our client certificate: " + errors;
  } else if (ssl_error == SSL_ERROR_SYSCALL) {
    why = "TLS failed: " + (errors.empty() ? std::string("unexpected end of the stream") : errors);
  } else {
    why = "TLS failed: " + (errors.empty() ? "error " + std::to_string(ssl_error) : errors);
  }
  if (error_.empty()) error_ = std::move(why);
}

std::string TlsTransport::LastError() const {
  std::lock_guard<std::mutex> lock(ssl_mu_);
  if (!error_.empty()) return error_;
  // The server asked for a certificate we do not have and hung up without
  // an alert we could read (TLS 1.3 finishes our side of the handshake first).
  if (asked_for_cert_ && !has_cert_ && !got_data_) return kNoClientCert;
  return {};
}

void TlsTransport::Describe(TransportInfo* info) const {
  lower_->Describe(info);
  std::lock_guard<std::mutex> lock(ssl_mu_);
  info->tls = true;
  info->tls_version = SSL_get_version(ssl_);
  const char* cipher = SSL_get_cipher_name(ssl_);
  info->tls_cipher = cipher != nullptr ? cipher : "";
}

Status TlsTransport::Handshake(const std::string& name, Clock::time_point deadline) {
  {
    std::lock_guard<std::mutex> lock(ssl_mu_);
    host_ = name;
    SSL_set_connect_state(ssl_);
    const bool ip = IsIpAddress(name);
    if (!ip) SSL_set_tlsext_host_name(ssl_, name.c_str());  // SNI is for names only
    if (!insecure_) {
      int ok =
          ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), name.c_str()) : SSL_set1_host(ssl_, name.c_str());
      if (ok != 1) return Status(Code::kInvalidArgument, "cannot check TLS certificates against '" + name + "'");
    }
  }
  bool first_read = true;
  for (;;) {
    int r;
    int err = SSL_ERROR_NONE;
    std::string out;
    {
      std::lock_guard<std::mutex> lock(ssl_mu_);
      ERR_clear_error();
      r = SSL_do_handshake(ssl_);
      if (r != 1) err = SSL_get_error(ssl_, r);
      if (r != 1 && err != SSL_ERROR_WANT_READ) RecordFailureLocked(err);
      TakeOutputLocked(&out);  // an alert, too, is worth sending
    }
    const bool sent = out.empty() || lower_->WriteAll(out);
    const int saved = errno;
    if (r == 1 && sent) return Status::Ok();
    if (r != 1 && err != SSL_ERROR_WANT_READ) return Status(Code::kConnectFailed, LastError());
    if (!sent) {
      std::string why = LastError();
      return Status(Code::kConnectFailed, why.empty() ? "TLS handshake: " + TransportError(*lower_, saved) : why);
    }
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return Status(Code::kConnectFailed, "TLS handshake timed out");
    long n = lower_->Read(cipher_in_.data(), cipher_in_.size(), left);
    if (n <= 0) {
      int saved = errno;
      std::string why = LastError();
      if (why.empty()) {
        why = n == 0               ? "the server closed the connection during the TLS handshake"
              : saved == ETIMEDOUT ? "TLS handshake timed out"
                                   : "TLS handshake: " + TransportError(*lower_, saved);
      }
      return Status(Code::kConnectFailed, why);
    }
    const std::string_view first(cipher_in_.data(), static_cast<size_t>(n));
    if (first_read && first.starts_with("INFO")) {
      return Status(Code::kConnectFailed,
                    "the server sent its INFO in plaintext: it expects TLS after INFO, not first "
                    "(turn off tls.handshake_first)");
    }
    if (first_read && first.starts_with("HTTP/")) {
      return Status(Code::kConnectFailed, "the server answered in plaintext HTTP: this port does not speak TLS");
    }
    first_read = false;
    std::lock_guard<std::mutex> lock(ssl_mu_);
    BIO_write(rbio_, cipher_in_.data(), static_cast<int>(n));
  }
}

int TlsTransport::SslRead(char* buf, size_t size, int* ssl_error) {
  bool reply_pending;
  int r;
  {
    std::lock_guard<std::mutex> lock(ssl_mu_);
    ERR_clear_error();
    r = SSL_read(ssl_, buf, static_cast<int>(std::min<size_t>(size, INT_MAX)));
    *ssl_error = r > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, r);
    if (r > 0) got_data_ = true;
    if (*ssl_error != SSL_ERROR_NONE && *ssl_error != SSL_ERROR_WANT_READ && *ssl_error != SSL_ERROR_ZERO_RETURN) {
      RecordFailureLocked(*ssl_error);
    }
    reply_pending = BIO_ctrl_pending(wbio_) > 0;
  }
  if (reply_pending) FlushFromReader();
  return r;
}

long TlsTransport::Read(char* buf, size_t size, std::chrono::milliseconds timeout) {
  const auto deadline = timeout.count() < 0 ? Clock::time_point::max() : Clock::now() + timeout;
  for (;;) {
    int err;
    int r = SslRead(buf, size, &err);
    if (r > 0) return r;
    if (err == SSL_ERROR_ZERO_RETURN) return 0;  // close_notify
    if (err != SSL_ERROR_WANT_READ) {
      errno = EPROTO;
      return -1;
    }
    std::chrono::milliseconds left(-1);
    if (timeout.count() >= 0) {
      left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        errno = ETIMEDOUT;
        return -1;
      }
    }
    long n = lower_->Read(cipher_in_.data(), cipher_in_.size(), left);
    if (n <= 0) return n;
    std::lock_guard<std::mutex> lock(ssl_mu_);
    BIO_write(rbio_, cipher_in_.data(), static_cast<int>(n));
  }
}

// Fills buf as far as it can: a short return must mean that the socket said
// EAGAIN (conn_read.cc waits for the next edge after one), so one decrypted
// record, shorter than buf, is not yet a reason to stop.
long TlsTransport::TryRead(char* buf, size_t size) {
  size_t got = 0;
  for (;;) {
    int err = SSL_ERROR_NONE;
    while (got < size) {
      int r = SslRead(buf + got, size - got, &err);
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    if (got == size) return static_cast<long>(got);
    if (err == SSL_ERROR_ZERO_RETURN) return static_cast<long>(got);
    if (err != SSL_ERROR_WANT_READ) {
      if (got > 0) return static_cast<long>(got);  // the error again on the next call
      errno = EPROTO;
      return -1;
    }
    long n = lower_->TryRead(cipher_in_.data(), cipher_in_.size());
    if (n <= 0) {
      if (got == 0) return n;  // errno (EAGAIN or worse) is the lower layer's
      return static_cast<long>(got);
    }
    std::lock_guard<std::mutex> lock(ssl_mu_);
    BIO_write(rbio_, cipher_in_.data(), static_cast<int>(n));
  }
}

void TlsTransport::Rearm() {
  lower_->Rearm();
  bool buffered;
  {
    std::lock_guard<std::mutex> lock(ssl_mu_);
    buffered = SSL_has_pending(ssl_) == 1 || BIO_ctrl_pending(rbio_) > 0;
  }
  if (buffered) lower_->Wake();  // the socket cannot show bytes we already took from it
}

bool TlsTransport::WriteAll(std::string_view data) {
  std::unique_lock<std::mutex> writing(wr_mu_);
  bool ok = true;
  while (ok && !data.empty()) {
    const size_t n = std::min(data.size(), kWriteChunk);
    {
      std::lock_guard<std::mutex> lock(ssl_mu_);
      ERR_clear_error();
      int r = SSL_write(ssl_, data.data(), static_cast<int>(n));
      if (r <= 0) {
        RecordFailureLocked(SSL_get_error(ssl_, r));
        return false;
      }
      TakeOutputLocked(&cipher_out_);
    }
    ok = lower_->WriteAll(cipher_out_);
    cipher_out_.clear();
    data.remove_prefix(n);
  }
  ok = SendPendingLocked() && ok;
  writing.unlock();
  // A reader that produced ciphertext after our last look, while we still
  // held wr_mu_, left it to us.
  if (ok && out_pending_.load()) FlushFromReader();
  return ok;
}

bool TlsTransport::SendPendingLocked() {
  while (out_pending_.exchange(false)) {
    std::string out;
    {
      std::lock_guard<std::mutex> lock(ssl_mu_);
      TakeOutputLocked(&out);
    }
    if (!out.empty() && !lower_->WriteAll(out)) return false;
  }
  return true;
}

void TlsTransport::FlushFromReader() {
  out_pending_.store(true);
  // If the writer holds wr_mu_, it sends this before it lets go (WriteAll's
  // tail). A try_lock that fails spuriously leaves it to the next write,
  // which the keep-alive PING guarantees.
  std::unique_lock<std::mutex> writing(wr_mu_, std::try_to_lock);
  if (writing.owns_lock()) SendPendingLocked();
}

}  // namespace

Result<std::unique_ptr<TlsContext>> TlsContext::Create(const TlsOptions& options) {
  auto fail = [](SSL_CTX* ctx, std::string why) {
    if (ctx != nullptr) SSL_CTX_free(ctx);
    return Status(Code::kInvalidArgument, std::move(why));
  };
  if (!options.key_file.empty() && options.cert_file.empty()) {
    return fail(nullptr, "tls.key_file is set but tls.cert_file is not");
  }
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return fail(nullptr, "cannot set up TLS: " + TakeOpenSslErrors());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);  // nothing to renegotiate with a NATS server
  SSL_CTX_set_verify(ctx, options.insecure_skip_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_client_cert_cb(ctx, OnClientCertRequest);
  std::string why;
  if (!options.ca_file.empty()) {
    if (!Readable(options.ca_file, &why)) return fail(ctx, "cannot read tls.ca_file " + options.ca_file + ": " + why);
    if (SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) != 1) {
      return fail(ctx, "cannot load the CAs in " + options.ca_file + ": " + TakeOpenSslErrors());
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    return fail(ctx, "cannot load the system's CAs: " + TakeOpenSslErrors());
  }
  if (!options.cert_file.empty()) {
    const std::string& key = options.key_file.empty() ? options.cert_file : options.key_file;
    if (!Readable(options.cert_file, &why)) {
      return fail(ctx, "cannot read tls.cert_file " + options.cert_file + ": " + why);
    }
    if (!Readable(key, &why)) return fail(ctx, "cannot read tls.key_file " + key + ": " + why);
    if (SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str()) != 1) {
      return fail(ctx, "cannot load the client certificate " + options.cert_file + ": " + TakeOpenSslErrors());
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
      return fail(ctx, "cannot load the private key " + key + ": " + TakeOpenSslErrors());
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      return fail(ctx, "the private key " + key + " does not belong to the certificate " + options.cert_file);
    }
  }
  return std::unique_ptr<TlsContext>(new TlsContext(ctx, options));
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

Result<std::shared_ptr<Transport>> TlsContext::Handshake(std::shared_ptr<Transport> lower, const std::string& host,
                                                         std::chrono::steady_clock::time_point deadline) const {
  ERR_clear_error();
  SSL* ssl = SSL_new(ctx_);
  BIO* rbio = BIO_new(BIO_s_mem());
  BIO* wbio = BIO_new(BIO_s_mem());
  if (ssl == nullptr || rbio == nullptr || wbio == nullptr) {
    std::string why = TakeOpenSslErrors();
    SSL_free(ssl);
    BIO_free(rbio);
    BIO_free(wbio);
    return Status(Code::kConnectFailed, "cannot set up TLS: " + why);
  }
  SSL_set_bio(ssl, rbio, wbio);  // ssl owns them from here
  auto t = std::make_shared<TlsTransport>(std::move(lower), ssl, options_);
  Status s = t->Handshake(options_.server_name.empty() ? host : options_.server_name, deadline);
  if (!s.ok()) return s;
  return std::shared_ptr<Transport>(std::move(t));
}

}  // namespace tern::internal
