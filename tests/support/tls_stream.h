// An OpenSSL client over a TCP stream: the server's certificate is verified
// against the test CA and must name `server_name`; an optional client
// certificate answers servers that ask for one. The socket stays
// non-blocking; WANT_READ/WANT_WRITE turn into poll() with the deadline.
#pragma once

#include <memory>
#include <string>

#include "byte_stream.h"

typedef struct ssl_st SSL;

namespace tern::testing {

struct TlsClientConfig {
  std::string ca_file;                    // CAs the server certificate must chain to
  std::string cert_file, key_file;        // client certificate, when the server asks for one
  std::string server_name = "localhost";  // SNI and the name checked in the certificate
  bool handshake_first = false;           // NATS: TLS before INFO (else the plain INFO is read first)
};

class TlsStream final : public ByteStream {
 public:
  // Runs the handshake over `lower`; nullptr with the reason in *error
  // (OpenSSL's text, which names a certificate or alert problem).
  static std::unique_ptr<TlsStream> Handshake(std::unique_ptr<ByteStream> lower, const TlsClientConfig& config,
                                              Deadline deadline, std::string* error);
  ~TlsStream() override;
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  IoStatus Write(std::string_view data, Deadline deadline, std::string* error) override;
  IoStatus Read(std::string* out, Deadline deadline, std::string* error) override;
  void ShutdownWrite() override;
  void Goodbye() override;
  int fd() const override { return lower_->fd(); }

  std::string protocol_version() const;  // "TLSv1.3"

 private:
  TlsStream(std::unique_ptr<ByteStream> lower, SSL* ssl) : lower_(std::move(lower)), ssl_(ssl) {}
  // Waits as OpenSSL asked after a call returned `ret`; kOk means retry.
  IoStatus Wait(int ret, Deadline deadline, std::string* error, const char* what);

  std::unique_ptr<ByteStream> lower_;
  SSL* ssl_;
};

// The first TLS record a client sends (a ClientHello for `server_name`),
// made with OpenSSL over memory BIOs: tests send parts of it to stall a
// handshake halfway.
std::string MakeClientHello(const std::string& server_name = "localhost");

}  // namespace tern::testing
