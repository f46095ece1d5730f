// Who may connect: the users, token, NKeys, certificate mapping and
// no_auth_user of one configuration, compiled into an
// immutable AuthTable and checked for any protocol (request.h). nats-server's
// order and semantics (server/auth.go): an NKey if the client sent one,
// else the certificate with verify_and_map, else the user name (or
// no_auth_user for a client that gave none) with its password, else the
// token.
//
// Threading: Check() runs on any thread (the auth pool for bcrypt,
// the connection's worker for the rest). The table is swapped whole on
// reload under a mutex taken once per connection attempt, never per message.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "proto/nkey.h"
#include "server/auth/request.h"
#include "server/options.h"

namespace tern::server::auth {

// How a client got in: what a reload must re-check.
enum class Via : uint8_t { kOpen, kToken, kUser, kNkey, kCertificate, kNoAuthUser };

struct UserEntry {
  std::string name;      // user name, or the NKey for an NKey user
  std::string password;  // as configured
  bool bcrypt = false;
  std::optional<proto::nkey::Key> nkey;
  core::PermissionsPtr permissions;  // null: unrestricted
  UserLimitOptions limits;
  uint64_t fingerprint = 0;  // of password/nkey and name
  bool system = false;
};

struct AuthTable {
  bool required = false;  // anything configured: INFO says auth_required
  bool nonce = false;     // NKey users exist: INFO carries a nonce
  bool tls_map = false;   // some listener maps certificates to users
  std::string token;
  bool token_bcrypt = false;
  uint64_t token_fingerprint = 0;
  std::unordered_map<std::string, UserEntry> users;  // by name
  std::unordered_map<std::string, UserEntry> nkeys;  // by public NKey
  std::string no_auth_user;
  std::string mqtt_no_auth_user;  // for MQTT clients; empty: no_auth_user
  core::PermissionsPtr default_permissions;
  std::set<std::string> system_users;
};

struct Decision : AuthResult {
  Via via = Via::kOpen;
};

// What a reload means for a connection already in.
struct Revalidation {
  bool keep = false;
  core::PermissionsPtr permissions;
  UserLimitOptions limits;
  bool system = false;
};

class Authenticator {
 public:
  // Builds the table; errors name the option. Warnings (plain-text
  // passwords) are for the start-up log.
  static base::Result<std::shared_ptr<const AuthTable>> Build(const Options& options,
                                                              std::vector<std::string>* warnings);

  void Install(std::shared_ptr<const AuthTable> table);
  std::shared_ptr<const AuthTable> table() const;
  bool required() const { return required_.load(std::memory_order_relaxed); }
  bool nonce_required() const { return nonce_.load(std::memory_order_relaxed); }

  // Whether Check() may take long for this request (bcrypt):
  // then it goes to the pool.
  static bool Expensive(const AuthTable& table, const AuthRequest& request);
  static Decision Check(const AuthTable& table, const AuthRequest& request);
  static Revalidation Revalidate(const AuthTable& table, Protocol protocol, Via via, const std::string& user,
                                 uint64_t fingerprint);

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const AuthTable> table_ = std::make_shared<AuthTable>();
  std::atomic<bool> required_{false};
  std::atomic<bool> nonce_{false};
};

}  // namespace tern::server::auth
