// What every protocol hands the authenticator, and what it gets back. The
// NATS session fills an AuthRequest from CONNECT (and the TLS peer); the
// MQTT session does the same from its CONNECT packet (username, password,
// client id) and maps the answer to CONNACK codes: 3.1.1 0x04 (bad user
// name or password) / 0x05 (not authorized), 5.0 0x86 / 0x87 (see
// AuthResult::Failure and docs/security.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/permissions.h"
#include "server/options.h"

namespace tern::server::auth {

enum class Protocol : uint8_t { kNats, kMqtt };

struct AuthRequest {
  Protocol protocol = Protocol::kNats;
  std::string user;
  std::string password;
  std::string token;
  std::string nkey;       // a user NKey (U...)
  std::string signature;  // of `nonce`, base64 (raw URL or standard)
  std::string nonce;      // what the server sent in INFO
  // The TLS peer: RFC 2253 subject and SANs (email, DNS, URI), for
  // tls.verify_and_map.
  std::string cert_subject;
  std::vector<std::string> cert_names;
  std::string client_ip;
  uint64_t client_id = 0;
  std::string client_name;  // NATS CONNECT name, MQTT client id
};

struct AuthResult {
  bool allowed = false;
  // Why it was refused, for a protocol that tells the two apart (MQTT):
  // kBadCredentials = unknown user or wrong secret; kNotAuthorized = known
  // but not allowed (limits), or no usable credentials.
  enum class Failure : uint8_t { kNone, kBadCredentials, kNotAuthorized } failure = Failure::kNone;
  std::string user;  // the identity the client now has ("" when anonymous)
  core::PermissionsPtr permissions;  // null: unrestricted
  UserLimitOptions limits;
  bool system = false;           // may ask _TERN.STATS / _TERN.INTEREST
  uint64_t fingerprint = 0;      // of the credentials that let it in (reload compares)
  std::string log;               // for the server log: nats-server's wording where it has one
};

}  // namespace tern::server::auth
