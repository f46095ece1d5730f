// libFuzzer target for the whole connection stack: raw bytes from a peer go
// into a real server's Connection on a real worker loop, through one of four
// transport chains (plain NATS, WebSocket + NATS, TLS + NATS, TLS +
// WebSocket + NATS), picked by the first input byte. What it checks is what
// a hostile client must never achieve: a crash, a sanitizer report, a hang
// (every input must end in the server closing the socket once the peer has
// stopped writing), or a server that stops answering the next client.
//
// The TLS certificate is made in-process at start-up and written to a
// temporary directory; nothing is committed.
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "base/log.h"
#include "io/tls.h"
#include "server/connection.h"
#include "server/nats_client_session.h"
#include "server/server.h"
#include "server/worker.h"
#include "server/ws_stage.h"

namespace {

using namespace tern;

struct Stack {
  std::unique_ptr<server::Server> node;
  server::Endpoint endpoints[4];
};
Stack* g_stack = nullptr;

void Die(const char* what) {
  std::fprintf(stderr, "server_stack_fuzz: %s\n", what);
  std::abort();
}

// A self-signed P-256 certificate for localhost, in `dir`.
void MakeCertificate(const std::string& dir) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  if (key == nullptr || cert == nullptr) Die("cannot make a key");
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1,
                             0);
  X509_set_issuer_name(cert, name);
  if (X509_sign(cert, key, EVP_sha256()) == 0) Die("cannot sign");
  FILE* c = std::fopen((dir + "/cert.pem").c_str(), "w");
  FILE* k = std::fopen((dir + "/key.pem").c_str(), "w");
  if (c == nullptr || k == nullptr) Die("cannot write the certificate");
  PEM_write_X509(c, cert);
  PEM_write_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(c);
  std::fclose(k);
  X509_free(cert);
  EVP_PKEY_free(key);
}

Stack* Build() {
  char pattern[] = "/tmp/tern-stack-fuzz-XXXXXX";
  if (mkdtemp(pattern) == nullptr) Die("mkdtemp");
  std::string dir = pattern;
  MakeCertificate(dir);
  log::SetLevel(log::Level::kOff);

  auto* stack = new Stack;
  server::Options options;
  options.addr = "127.0.0.1";
  options.port = -1;
  options.workers = 1;
  options.websocket.port = 0;
  options.mqtt.port = 0;
  options.mqtt.websocket.port = 0;
  stack->node = std::make_unique<server::Server>(options);
  if (!stack->node->Start().ok()) Die("server did not start");

  io::TlsConfig tls_config;
  tls_config.cert_file = dir + "/cert.pem";
  tls_config.key_file = dir + "/key.pem";
  auto tls = io::TlsContext::Create(tls_config, io::TlsContext::Role::kServer);
  if (!tls.ok()) Die(tls.message().c_str());
  static const server::WebsocketOptions ws_options;
  auto ws_policy = server::MakeWebsocketPolicy(ws_options, false);
  for (int i = 0; i < 4; ++i) {
    server::Endpoint& e = stack->endpoints[i];
    e.name = "fuzz";
    e.new_session = [](server::Connection& conn) { return std::make_unique<server::NatsClientSession>(conn); };
    if (i & 1) {
      e.websocket = ws_options;
      e.websocket_policy = ws_policy;
    }
    if (i & 2) {
      e.tls = *tls;
      e.tls_mode = server::TlsMode::kImplicit;
      e.tls_timeout = std::chrono::milliseconds(200);
    }
  }
  return stack;
}

// Reads and drops what the server sends until it closes; false if it does
// not within the bound.
bool DrainUntilClosed(int fd, std::chrono::milliseconds bound) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  char buf[65536];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return true;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (g_stack == nullptr) g_stack = Build();
  if (size == 0) return 0;
  const server::Endpoint& endpoint = g_stack->endpoints[data[0] % 4];
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) Die("socketpair");
  g_stack->node->workers()[0]->Adopt(fds[0], endpoint);
  // The input is the peer's whole side of the conversation; then it stops
  // writing and must be hung up on (the stack waits for nothing else).
  const char* p = reinterpret_cast<const char*>(data + 1);
  size_t left = size - 1;
  while (left > 0) {
    ssize_t n = write(fds[1], p, left);
    if (n <= 0) break;  // the server already closed: fine
    p += n;
    left -= static_cast<size_t>(n);
  }
  shutdown(fds[1], SHUT_WR);
  if (!DrainUntilClosed(fds[1], std::chrono::seconds(5))) Die("the server did not close a finished connection");
  close(fds[1]);
  return 0;
}
