// Certificates for TLS tests, made at test time with the openssl command
// (never committed): a CA, a server certificate for 127.0.0.1 / localhost
// / ::1 signed by it, a client certificate signed by it, and a second,
// untrusted CA with its own server certificate for the "wrong issuer" cases.
// P-256 keys: RSA keys took seconds per test process to make.
#pragma once

#include <string>

namespace tern::testing {

struct TestCerts {
  std::string dir;
  std::string ca_cert, ca_key;
  std::string server_cert, server_key;  // CN=localhost, SAN 127.0.0.1, ::1, localhost
  std::string client_cert, client_key;  // CN=alice
  std::string other_ca_cert;            // a CA that signed nothing we trust
  std::string other_server_cert, other_server_key;  // signed by other_ca
};

// Made by the first test process of the day and shared by the others
// (a per-user directory under $TMPDIR); nullptr (with the reason in *error)
// when openssl is missing or fails.
const TestCerts* GetTestCerts(std::string* error);

}  // namespace tern::testing
