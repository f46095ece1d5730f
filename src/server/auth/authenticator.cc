#include "server/auth/authenticator.h"

#include <fmt/format.h>

#include <functional>

#include "server/auth/bcrypt.h"
#include "server/auth/ed25519.h"

namespace tern::server::auth {
namespace {

core::PermissionRules ToRules(const PermissionOptions& p) {
  core::PermissionRules r;
  r.publish.allow = p.publish.allow;
  r.publish.deny = p.publish.deny;
  r.subscribe.allow = p.subscribe.allow;
  r.subscribe.deny = p.subscribe.deny;
  if (p.responses_on()) {
    core::ResponseRule rule;
    if (p.responses_max != 0) rule.max_msgs = p.responses_max;
    if (p.responses_expires.count() != 0) rule.expires = p.responses_expires;
    r.responses = rule;
  }
  return r;
}

base::Result<core::PermissionsPtr> Compile(const PermissionOptions& p, const std::string& where) {
  if (p.empty()) return core::PermissionsPtr();
  std::string error;
  auto perms = core::Permissions::Compile(ToRules(p), &error);
  if (perms == nullptr) return base::Status(where + ".permissions." + error);
  return perms;
}

uint64_t Fingerprint(std::string_view a, std::string_view b) {
  return std::hash<std::string_view>{}(a) * 31 + std::hash<std::string_view>{}(b) + 1;
}

Decision Refuse(AuthResult::Failure failure, std::string log) {
  Decision d;
  d.failure = failure;
  d.log = std::move(log);
  return d;
}

Decision Admit(const UserEntry& u, Via via, const AuthTable& t) {
  Decision d;
  d.allowed = true;
  d.via = via;
  d.user = u.name;
  d.permissions = u.permissions;
  d.limits = u.limits;
  d.fingerprint = u.fingerprint;
  d.system = u.system || t.system_users.contains(u.name);
  return d;
}

bool PasswordMatches(const UserEntry& u, std::string_view given) {
  return u.bcrypt ? BcryptVerify(given, u.password) : PlainEquals(given, u.password);
}

const UserEntry* Find(const std::unordered_map<std::string, UserEntry>& map, const std::string& key) {
  auto it = map.find(key);
  return it == map.end() ? nullptr : &it->second;
}

const std::string& NoAuthUser(const AuthTable& t, Protocol protocol) {
  return protocol == Protocol::kMqtt && !t.mqtt_no_auth_user.empty() ? t.mqtt_no_auth_user : t.no_auth_user;
}

// The user a plain user/password client names: its own, or no_auth_user.
const UserEntry* NamedUser(const AuthTable& t, const AuthRequest& r, bool* no_auth) {
  const std::string& anonymous = NoAuthUser(t, r.protocol);
  *no_auth = r.user.empty() && !anonymous.empty();
  return Find(t.users, *no_auth ? anonymous : r.user);
}

}  // namespace

base::Result<std::shared_ptr<const AuthTable>> Authenticator::Build(const Options& o,
                                                                    std::vector<std::string>* warnings) {
  auto t = std::make_shared<AuthTable>();
  const AuthorizationOptions& a = o.authorization;
  auto defaults = Compile(a.default_permissions, "authorization.default_permissions");
  if (!defaults.ok()) return defaults.status();
  t->default_permissions = defaults.value();
  t->system_users = {a.system_users.begin(), a.system_users.end()};
  t->tls_map = o.tls.verify_and_map || o.websocket.tls.verify_and_map || o.mqtt.tls.verify_and_map ||
               o.mqtt.websocket.tls.verify_and_map;

  std::vector<UserOptions> users = a.users;
  if (!a.user.empty()) users.push_back(UserOptions{a.user, a.password, {}, {}, {}});
  for (size_t i = 0; i < users.size(); ++i) {
    const UserOptions& u = users[i];
    std::string where = i < a.users.size() ? fmt::format("authorization.users[{}]", i) : "authorization";
    UserEntry e;
    auto perms = Compile(u.permissions, where);
    if (!perms.ok()) return perms.status();
    e.permissions = u.permissions.empty() ? t->default_permissions : perms.value();
    e.limits = u.limits;
    if (!u.nkey.empty()) {
      e.nkey = proto::nkey::DecodePublic(u.nkey, proto::nkey::Role::kUser);
      if (!e.nkey) return base::Status(fmt::format("{}.nkey: '{}' is not a user NKey", where, u.nkey));
      e.name = u.nkey;
      e.fingerprint = Fingerprint(u.nkey, "nkey");
      t->nonce = true;
      t->nkeys.emplace(u.nkey, std::move(e));
      continue;
    }
    e.name = u.user;
    e.password = u.password;
    e.bcrypt = IsBcrypt(u.password);
    e.fingerprint = Fingerprint(u.user, u.password);
    if (!e.bcrypt && !u.password.empty() && warnings != nullptr) {
      warnings->push_back(fmt::format("{}: user '{}' has a plain text password; store a bcrypt hash "
                                      "(tern passwd) instead",
                                      where, u.user));
    }
    if (!t->users.emplace(u.user, std::move(e)).second) {
      return base::Status(fmt::format("{}: user '{}' is listed twice", where, u.user));
    }
  }
  t->token = a.token;
  t->token_bcrypt = IsBcrypt(a.token);
  t->token_fingerprint = Fingerprint(a.token, "token");
  if (!a.token.empty() && !t->token_bcrypt && warnings != nullptr) {
    warnings->push_back("authorization.token is plain text; a bcrypt hash (tern passwd) keeps it out of the file");
  }
  if (!o.no_auth_user.empty()) {
    if (!t->users.contains(o.no_auth_user)) {
      return base::Status(
          fmt::format("no_auth_user: '{}' is not one of authorization.users", o.no_auth_user));
    }
    t->no_auth_user = o.no_auth_user;
  }
  if (!o.mqtt.no_auth_user.empty()) {
    if (!t->users.contains(o.mqtt.no_auth_user)) {
      return base::Status(
          fmt::format("mqtt.no_auth_user: '{}' is not one of authorization.users", o.mqtt.no_auth_user));
    }
    t->mqtt_no_auth_user = o.mqtt.no_auth_user;
  }
  t->required = !t->users.empty() || !t->nkeys.empty() || !t->token.empty() || t->tls_map;
  return std::shared_ptr<const AuthTable>(std::move(t));
}

void Authenticator::Install(std::shared_ptr<const AuthTable> table) {
  required_.store(table->required, std::memory_order_relaxed);
  nonce_.store(table->nonce, std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  table_ = std::move(table);
}

std::shared_ptr<const AuthTable> Authenticator::table() const {
  std::lock_guard lock(mu_);
  return table_;
}

bool Authenticator::Expensive(const AuthTable& t, const AuthRequest& r) {
  if (!t.required) return false;
  if (!r.nkey.empty() && !t.nkeys.empty()) return false;
  if (t.tls_map && (!r.cert_subject.empty() || !r.cert_names.empty())) return false;
  if (!t.users.empty()) {
    bool no_auth = false;
    if (const UserEntry* u = NamedUser(t, r, &no_auth)) return u->bcrypt && !no_auth;
    return false;
  }
  return !t.token.empty() && t.token_bcrypt;
}

Decision Authenticator::Check(const AuthTable& t, const AuthRequest& r) {
  using F = AuthResult::Failure;
  if (!t.required) {
    Decision d;
    d.allowed = true;
    d.permissions = t.default_permissions;
    d.system = true;
    return d;
  }
  if (!r.nkey.empty() && !t.nkeys.empty()) {
    const UserEntry* u = Find(t.nkeys, r.nkey);
    if (u == nullptr) return Refuse(F::kBadCredentials, fmt::format("authentication error - Nkey \"{}\"", r.nkey));
    auto sig = proto::nkey::DecodeBase64(r.signature);
    if (!sig || r.nonce.empty() || !Ed25519Verify(*u->nkey, r.nonce, *sig)) {
      return Refuse(F::kBadCredentials, fmt::format("authentication error - Nkey \"{}\"", r.nkey));
    }
    return Admit(*u, Via::kNkey, t);
  }
  if (t.tls_map && (!r.cert_subject.empty() || !r.cert_names.empty())) {
    // nats-server tries the SANs (email, DNS, URI) first, then the subject.
    for (const std::string& name : r.cert_names) {
      if (const UserEntry* u = Find(t.users, name)) return Admit(*u, Via::kCertificate, t);
    }
    if (const UserEntry* u = Find(t.users, r.cert_subject)) return Admit(*u, Via::kCertificate, t);
    return Refuse(F::kNotAuthorized,
                  fmt::format("authentication error - no user for certificate \"{}\"", r.cert_subject));
  }
  if (!t.users.empty()) {
    bool no_auth = false;
    if (const UserEntry* u = NamedUser(t, r, &no_auth)) {
      if (no_auth) return Admit(*u, Via::kNoAuthUser, t);
      if (PasswordMatches(*u, r.password)) return Admit(*u, Via::kUser, t);
      return Refuse(F::kBadCredentials, fmt::format("authentication error - User \"{}\"", r.user));
    }
    return Refuse(r.user.empty() ? F::kNotAuthorized : F::kBadCredentials,
                  fmt::format("authentication error - User \"{}\"", r.user));
  }
  if (!t.token.empty()) {
    bool ok = t.token_bcrypt ? BcryptVerify(r.token, t.token) : PlainEquals(r.token, t.token);
    if (!ok) return Refuse(F::kBadCredentials, "authentication error");
    Decision d;
    d.allowed = true;
    d.via = Via::kToken;
    d.permissions = t.default_permissions;
    d.fingerprint = t.token_fingerprint;
    d.system = true;  // one shared secret: whoever has it runs the node
    return d;
  }
  return Refuse(F::kNotAuthorized, "authentication error");
}

Revalidation Authenticator::Revalidate(const AuthTable& t, Protocol protocol, Via via, const std::string& user,
                                       uint64_t fingerprint) {
  Revalidation r;
  auto keep = [&](const UserEntry& u) {
    r.keep = true;
    r.permissions = u.permissions;
    r.limits = u.limits;
    r.system = u.system || t.system_users.contains(u.name);
  };
  switch (via) {
    case Via::kOpen:
      r.keep = !t.required;
      r.permissions = t.default_permissions;
      r.system = true;
      break;
    case Via::kToken:
      r.keep = !t.token.empty() && t.token_fingerprint == fingerprint;
      r.permissions = t.default_permissions;
      r.system = true;
      break;
    case Via::kUser:
      if (const UserEntry* u = Find(t.users, user); u != nullptr && u->fingerprint == fingerprint) keep(*u);
      break;
    case Via::kNoAuthUser:
      if (const UserEntry* u = Find(t.users, user); u != nullptr && NoAuthUser(t, protocol) == user) keep(*u);
      break;
    case Via::kCertificate:
      if (const UserEntry* u = Find(t.users, user); u != nullptr && t.tls_map) keep(*u);
      break;
    case Via::kNkey:
      if (const UserEntry* u = Find(t.nkeys, user); u != nullptr && u->fingerprint == fingerprint) keep(*u);
      break;
  }
  return r;
}

}  // namespace tern::server::auth
