#include "io/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace tern::io {

namespace {

std::string OpenSslErrors() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!text.empty()) text += "; ";
    text += buf;
  }
  return text.empty() ? "unknown error" : text;
}

// Plaintext is read out of SSL in chunks of this size; one TLS record holds
// at most 16 KiB, so this takes two per call.
constexpr size_t kPlainChunk = 32 * 1024;

char* PlainScratch() {
  thread_local std::unique_ptr<char[]> scratch(new char[kPlainChunk]);
  return scratch.get();
}

class TlsStage final : public Stage {
 public:
  TlsStage(SSL* ssl) : ssl_(ssl) {}
  ~TlsStage() override { SSL_free(ssl_); }

  // Called through the BIO: ciphertext in from the read buffer...
  int BioRead(char* buf, int len) {
    if (in_size_ == 0) return -1;
    size_t n = std::min(in_size_, static_cast<size_t>(len));
    std::memcpy(buf, in_, n);
    in_ += n;
    in_size_ -= n;
    return static_cast<int>(n);
  }
  // ...and out to whatever output the current call writes to.
  int BioWrite(const char* data, int len) {
    if (out_ == nullptr) return -1;
    out_->append(data, static_cast<size_t>(len));
    return len;
  }

  base::Status Inbound(char* data, size_t size, StageIo& io) override {
    in_ = data;
    in_size_ = size;
    std::string down;
    base::Status status;
    {
      OutputTo target(*this, down);
      status = Drive(io);
    }
    in_size_ = 0;
    if (!down.empty()) io.Down(down);
    return status;
  }

  base::Status Begin(std::string& out) override {
    if (!SSL_is_server(ssl_)) {
      int rc;
      {
        OutputTo target(*this, out);
        rc = SSL_do_handshake(ssl_);  // the ClientHello: nothing to read yet
      }
      int err = SSL_get_error(ssl_, rc);
      if (rc != 1 && err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
        return base::Status("TLS handshake error: " + OpenSslErrors());
      }
    }
    return base::Status::Ok();
  }

  base::Status Outbound(std::string_view data, std::string& out) override {
    if (!open_) return base::Status("tls: application data before the handshake finished");
    // May run while Inbound() is handing plaintext up (a WebSocket pong
    // answered from inside a read). Records must reach the wire in the order
    // SSL made them, so what that read produced so far (a session ticket,
    // say) goes first.
    if (out_ != nullptr && !out_->empty()) {
      out.append(*out_);
      out_->clear();
    }
    OutputTo target(*this, out);
    while (!data.empty()) {
      int chunk = static_cast<int>(std::min<size_t>(data.size(), 1 << 30));
      int n = SSL_write(ssl_, data.data(), chunk);
      if (n <= 0) return base::Status("tls write: " + OpenSslErrors());
      data.remove_prefix(static_cast<size_t>(n));
    }
    return base::Status::Ok();
  }

  void Closing(const CloseNote&, std::string& out) override {
    if (!open_) return;
    OutputTo target(*this, out);
    SSL_shutdown(ssl_);  // queues close_notify; the peer's reply is not awaited
  }

  bool open() const override { return open_; }
  bool peer_closed() const override { return peer_closed_; }
  std::string_view name() const override { return "tls"; }
  SSL* ssl() const { return ssl_; }

 private:
  // Points the BIO's writes at `out` for one scope, restoring the previous
  // target after (calls nest: Outbound from inside Inbound).
  class OutputTo {
   public:
    OutputTo(TlsStage& stage, std::string& out) : stage_(stage), saved_(stage.out_) { stage.out_ = &out; }
    ~OutputTo() { stage_.out_ = saved_; }

   private:
    TlsStage& stage_;
    std::string* saved_;
  };

  base::Status Drive(StageIo& io) {
    if (!open_) {
      int rc = SSL_do_handshake(ssl_);
      if (rc != 1) {
        int err = SSL_get_error(ssl_, rc);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return base::Status::Ok();
        return base::Status("TLS handshake error: " + HandshakeError(err));
      }
      open_ = true;
    }
    char* plain = PlainScratch();
    for (;;) {
      int n = SSL_read(ssl_, plain, static_cast<int>(kPlainChunk));
      if (n > 0) {
        io.Up(plain, static_cast<size_t>(n));
        continue;
      }
      int err = SSL_get_error(ssl_, n);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return base::Status::Ok();
      if (err == SSL_ERROR_ZERO_RETURN) {
        peer_closed_ = true;
        return base::Status::Ok();
      }
      return base::Status("tls read: " + OpenSslErrors());
    }
  }

  std::string HandshakeError(int err) {
    long verify = SSL_get_verify_result(ssl_);
    std::string text = err == SSL_ERROR_SSL ? OpenSslErrors() : "error " + std::to_string(err);
    if (verify != X509_V_OK) text += " (certificate: " + std::string(X509_verify_cert_error_string(verify)) + ")";
    return text;
  }

  SSL* ssl_;
  const char* in_ = nullptr;
  size_t in_size_ = 0;
  std::string* out_ = nullptr;
  bool open_ = false;
  bool peer_closed_ = false;
};

TlsStage* StageOf(BIO* bio) { return static_cast<TlsStage*>(BIO_get_data(bio)); }

// The BIO that connects SSL to TlsStage's current input and output; made
// once per process.
BIO_METHOD* StageBioMethod() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tern-stage");
    BIO_meth_set_write(m, [](BIO* bio, const char* data, int len) {
      BIO_clear_retry_flags(bio);
      int n = StageOf(bio)->BioWrite(data, len);
      if (n < 0) BIO_set_retry_write(bio);
      return n;
    });
    BIO_meth_set_read(m, [](BIO* bio, char* buf, int len) {
      BIO_clear_retry_flags(bio);
      int n = StageOf(bio)->BioRead(buf, len);
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

}  // namespace

base::Result<std::shared_ptr<TlsContext>> TlsContext::Create(const TlsConfig& config, Role role) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(role == Role::kServer ? TLS_server_method() : TLS_client_method());
  if (ctx == nullptr) return base::Status("tls: cannot create context: " + OpenSslErrors());
  auto fail = [ctx](std::string what) {
    std::string text = what + ": " + OpenSslErrors();
    SSL_CTX_free(ctx);
    return base::Status(text);
  };
  int min_version = config.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
  SSL_CTX_set_min_proto_version(ctx, min_version);
  // Idle connections give their record buffers back: thousands of quiet
  // TLS clients should cost little more than plain ones.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  if (!config.cert_file.empty() &&
      SSL_CTX_use_certificate_chain_file(ctx, config.cert_file.c_str()) != 1) {
    return fail("tls: cannot load certificate " + config.cert_file);
  }
  if (!config.key_file.empty()) {
    if (SSL_CTX_use_PrivateKey_file(ctx, config.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return fail("tls: cannot load key " + config.key_file);
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      return fail("tls: key " + config.key_file + " does not match certificate " + config.cert_file);
    }
  }
  if (!config.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, config.ca_file.c_str(), nullptr) != 1) {
      return fail("tls: cannot load CA file " + config.ca_file);
    }
    if (role == Role::kServer) {
      // Tells clients which issuers we accept, so they pick the right certificate.
      STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(config.ca_file.c_str());
      if (names != nullptr) SSL_CTX_set_client_CA_list(ctx, names);
    }
  } else if (role == Role::kClient && config.verify_peer) {
    SSL_CTX_set_default_verify_paths(ctx);
  }
  if (config.verify_peer) {
    int mode = SSL_VERIFY_PEER | (role == Role::kServer ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
    SSL_CTX_set_verify(ctx, mode, nullptr);
  }
  return std::shared_ptr<TlsContext>(new TlsContext(ctx, role, config.verify_peer));
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

std::unique_ptr<Stage> TlsContext::NewStage(std::string_view server_name) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return nullptr;
  auto stage = std::make_unique<TlsStage>(ssl);
  BIO* bio = BIO_new(StageBioMethod());
  BIO_set_data(bio, stage.get());
  // One BIO for both directions: SSL_set_bio then owns the single reference.
  SSL_set_bio(ssl, bio, bio);
  if (role_ == Role::kServer) {
    SSL_set_accept_state(ssl);
  } else {
    SSL_set_connect_state(ssl);
    if (!server_name.empty()) {
      std::string name(server_name);
      SSL_set_tlsext_host_name(ssl, name.c_str());
      if (verify_) SSL_set1_host(ssl, name.c_str());
    }
  }
  return stage;
}

std::string PeerCertificateSubject(const Stage& tls_stage) {
  const auto* stage = dynamic_cast<const TlsStage*>(&tls_stage);
  if (stage == nullptr) return {};
  X509* cert = SSL_get1_peer_certificate(stage->ssl());
  if (cert == nullptr) return {};
  std::string subject;
  if (BIO* mem = BIO_new(BIO_s_mem())) {
    X509_NAME_print_ex(mem, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
    char* data = nullptr;
    long len = BIO_get_mem_data(mem, &data);
    subject.assign(data, static_cast<size_t>(len));
    BIO_free(mem);
  }
  X509_free(cert);
  return subject;
}

std::vector<std::string> PeerCertificateNames(const Stage& tls_stage) {
  std::vector<std::string> names;
  const auto* stage = dynamic_cast<const TlsStage*>(&tls_stage);
  if (stage == nullptr) return names;
  X509* cert = SSL_get1_peer_certificate(stage->ssl());
  if (cert == nullptr) return names;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans, i);
    const ASN1_IA5STRING* text = nullptr;
    if (name->type == GEN_EMAIL) text = name->d.rfc822Name;
    if (name->type == GEN_DNS) text = name->d.dNSName;
    if (name->type == GEN_URI) text = name->d.uniformResourceIdentifier;
    if (text != nullptr) {
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                         static_cast<size_t>(ASN1_STRING_length(text)));
    }
  }
  GENERAL_NAMES_free(sans);
  X509_free(cert);
  return names;
}

TlsSessionInfo SessionInfo(const Stage& tls_stage) {
  const auto* stage = dynamic_cast<const TlsStage*>(&tls_stage);
  if (stage == nullptr || !stage->open()) return {};
  TlsSessionInfo info;
  // nats-server reports "1.2" / "1.3" (its tlsVersion()); OpenSSL says "TLSv1.3".
  std::string_view version = SSL_get_version(stage->ssl());
  if (version.starts_with("TLSv")) version.remove_prefix(4);
  info.version = std::string(version);
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(stage->ssl())) {
    const char* name = SSL_CIPHER_standard_name(cipher);
    info.cipher = name != nullptr ? name : SSL_CIPHER_get_name(cipher);
  }
  return info;
}

}  // namespace tern::io
