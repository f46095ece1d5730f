// TLS on the worker loops. OpenSSL never touches the socket: a custom BIO
// reads ciphertext straight from the connection's read buffer and appends
// ciphertext straight to the output it is given, so there are no BIO
// buffers to copy through or to keep per idle connection (as uSockets does
// with its memory BIOs). Every SSL call for a connection happens on its
// owning worker's thread.
//
// One TlsContext per configured `tls {}` block, shared (read-only) by all
// workers; one TlsStage per connection.
#pragma once

#include <memory>
#include <string>
#include <vector>
#include <string_view>

#include "base/status.h"
#include "io/stage.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace tern::io {

struct TlsConfig {
  std::string cert_file;  // PEM chain; required for a server
  std::string key_file;   // PEM key; required for a server
  std::string ca_file;    // CAs for verifying the peer
  bool verify_peer = false;  // server: require a client certificate; client: verify the server
  std::string min_version = "1.2";  // "1.2" or "1.3"
};

class TlsContext {
 public:
  enum class Role { kServer, kClient };

  // Loads the certificate, key and CAs now, so a bad file stops start-up
  // with a message that names it.
  static base::Result<std::shared_ptr<TlsContext>> Create(const TlsConfig& config, Role role);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A new per-connection stage. `server_name` (client role) is sent as SNI
  // and, with verify_peer, checked against the server's certificate.
  std::unique_ptr<Stage> NewStage(std::string_view server_name = {}) const;
  Role role() const { return role_; }

 private:
  TlsContext(SSL_CTX* ctx, Role role, bool verify) : ctx_(ctx), role_(role), verify_(verify) {}
  SSL_CTX* ctx_;
  Role role_;
  bool verify_;
};

// True when `first_byte` opens a TLS handshake record: how a listener that
// accepts both tells a TLS-first client from a plain one.
inline bool LooksLikeTlsHandshake(unsigned char first_byte) { return first_byte == 0x16; }

// The subject of the peer's certificate, one line ("CN=alice,O=acme"), or
// empty; for logs now and user mapping later (verify_and_map).
std::string PeerCertificateSubject(const Stage& tls_stage);
// The peer certificate's subject alternative names: email addresses, DNS
// names and URIs, as text (for mapping certificates to users).
std::vector<std::string> PeerCertificateNames(const Stage& tls_stage);

// The negotiated version ("1.3") and cipher suite (IANA name), once the
// handshake is done; empty before. For monitoring.
struct TlsSessionInfo {
  std::string version, cipher;
};
TlsSessionInfo SessionInfo(const Stage& tls_stage);

}  // namespace tern::io
