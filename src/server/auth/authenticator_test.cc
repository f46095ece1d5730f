// The authenticator as plain functions: nats-server's order of checks, each
// credential kind, refusals, and what a reload keeps.
#include "server/auth/authenticator.h"

#include <gtest/gtest.h>

#include "server/auth/bcrypt.h"
#include "server/auth/ed25519.h"

namespace tern::server::auth {
namespace {

std::shared_ptr<const AuthTable> Table(const Options& o, std::vector<std::string>* warnings = nullptr) {
  auto t = Authenticator::Build(o, warnings);
  EXPECT_TRUE(t.ok()) << t.message();
  return t.ok() ? t.value() : std::make_shared<AuthTable>();
}

AuthRequest UserPass(std::string user, std::string pass) {
  AuthRequest r;
  r.user = std::move(user);
  r.password = std::move(pass);
  return r;
}

TEST(BcryptTest, HashVerifiesAndIsSalted) {
  auto a = BcryptHash("pw", 4), b = BcryptHash("pw", 4);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(IsBcrypt(a.value()));
  EXPECT_EQ(BcryptCost(a.value()), 4);
  EXPECT_NE(a.value(), b.value());
  EXPECT_TRUE(BcryptVerify("pw", a.value()));
  EXPECT_FALSE(BcryptVerify("pW", a.value()));
  EXPECT_FALSE(BcryptVerify("pw", "$2b$04$short"));
  EXPECT_FALSE(IsBcrypt("plain"));
  EXPECT_FALSE(BcryptHash("pw", 3).ok());
}

TEST(AuthenticatorTest, OpenServerLetsEveryoneIn) {
  Options o;
  auto t = Table(o);
  EXPECT_FALSE(t->required);
  Decision d = Authenticator::Check(*t, UserPass("anyone", "anything"));
  EXPECT_TRUE(d.allowed);
  EXPECT_TRUE(d.system);
}

TEST(AuthenticatorTest, TokenPlainAndHashed) {
  Options o;
  o.authorization.token = "t0ken";
  std::vector<std::string> warnings;
  auto t = Table(o, &warnings);
  EXPECT_EQ(warnings.size(), 1u);  // plain text
  AuthRequest r;
  r.token = "t0ken";
  EXPECT_TRUE(Authenticator::Check(*t, r).allowed);
  EXPECT_FALSE(Authenticator::Expensive(*t, r));
  r.token = "nope";
  EXPECT_FALSE(Authenticator::Check(*t, r).allowed);

  o.authorization.token = BcryptHash("t0ken", 4).value();
  t = Table(o);
  r.token = "t0ken";
  EXPECT_TRUE(Authenticator::Expensive(*t, r));
  Decision d = Authenticator::Check(*t, r);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.via, Via::kToken);
}

TEST(AuthenticatorTest, UsersPasswordsAndNoAuthUser) {
  Options o;
  UserOptions alice{.user = "alice", .password = BcryptHash("a", 4).value()};
  alice.permissions.publish.allow = {"orders.>"};
  UserOptions bob{.user = "bob", .password = "b"};
  o.authorization.users = {alice, bob};
  o.authorization.default_permissions.subscribe.deny = {"secret.>"};
  o.no_auth_user = "bob";
  auto t = Table(o);

  Decision a = Authenticator::Check(*t, UserPass("alice", "a"));
  ASSERT_TRUE(a.allowed);
  EXPECT_TRUE(Authenticator::Expensive(*t, UserPass("alice", "a")));
  ASSERT_NE(a.permissions, nullptr);
  EXPECT_TRUE(a.permissions->CanPublish("orders.new"));
  EXPECT_FALSE(a.permissions->CanPublish("billing"));
  EXPECT_FALSE(a.system);

  EXPECT_FALSE(Authenticator::Check(*t, UserPass("alice", "b")).allowed);
  Decision unknown = Authenticator::Check(*t, UserPass("carol", "a"));
  EXPECT_FALSE(unknown.allowed);
  EXPECT_EQ(unknown.failure, AuthResult::Failure::kBadCredentials);

  // No credentials: bob, with the default permissions (he has none of his own).
  Decision anon = Authenticator::Check(*t, AuthRequest{});
  ASSERT_TRUE(anon.allowed);
  EXPECT_EQ(anon.user, "bob");
  EXPECT_EQ(anon.via, Via::kNoAuthUser);
  ASSERT_NE(anon.permissions, nullptr);
  EXPECT_FALSE(anon.permissions->CanSubscribe("secret.x", ""));
}

// nats-server's mqtt.no_auth_user: MQTT clients without a user name become
// that user, NATS clients still the top-level one; a reload keeps each only
// while its own setting still names it.
TEST(AuthenticatorTest, MqttNoAuthUserOverridesForMqttOnly) {
  Options o;
  o.authorization.users = {UserOptions{.user = "app", .password = "a"}, UserOptions{.user = "device", .password = "d"}};
  o.no_auth_user = "app";
  o.mqtt.no_auth_user = "device";
  auto t = Table(o);
  AuthRequest mqtt;
  mqtt.protocol = Protocol::kMqtt;
  Decision device = Authenticator::Check(*t, mqtt);
  ASSERT_TRUE(device.allowed);
  EXPECT_EQ(device.user, "device");
  EXPECT_EQ(Authenticator::Check(*t, AuthRequest{}).user, "app");

  o.mqtt.no_auth_user.clear();
  auto after = Table(o);
  EXPECT_FALSE(Authenticator::Revalidate(*after, Protocol::kMqtt, device.via, device.user, device.fingerprint).keep);
  EXPECT_EQ(Authenticator::Check(*after, mqtt).user, "app");

  o.mqtt.no_auth_user = "nobody";
  EXPECT_FALSE(Authenticator::Build(o, nullptr).ok());
}
// The nkeys package's public key for a seed (nats.js nkeys.fromSeed).
TEST(AuthenticatorTest, PublicKeyOfASeedMatchesTheNkeysPackage) {
  auto seed = proto::nkey::DecodeSeed("SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU");
  ASSERT_TRUE(seed.has_value());
  EXPECT_EQ(proto::nkey::EncodePublic(proto::nkey::Role::kUser, Ed25519PublicKey(seed->seed)),
            "UCK5N7N66OBOINFXAYC2ACJQYFSOD4VYNU6APEJTAVFZB2SVHLKGEW7L");
}

TEST(AuthenticatorTest, NkeyChecksTheSignatureOfTheNonce) {
  proto::nkey::Key seed{};
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(i + 1);
  std::string pub = proto::nkey::EncodePublic(proto::nkey::Role::kUser, Ed25519PublicKey(seed));
  Options o;
  o.authorization.users = {UserOptions{.nkey = pub}};
  auto t = Table(o);
  EXPECT_TRUE(t->nonce);
  AuthRequest r;
  r.nkey = pub;
  r.nonce = "abcdefg";
  r.signature = proto::nkey::Base64RawUrl(Ed25519Sign(seed, r.nonce));
  Decision d = Authenticator::Check(*t, r);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.via, Via::kNkey);
  r.nonce = "abcdefh";
  EXPECT_FALSE(Authenticator::Check(*t, r).allowed);
  r.signature.clear();
  EXPECT_FALSE(Authenticator::Check(*t, r).allowed);
}

TEST(AuthenticatorTest, CertificateNamesMapToUsers) {
  Options o;
  o.tls.verify_and_map = true;
  o.authorization.users = {UserOptions{.user = "alice@example.com"}, UserOptions{.user = "CN=bob,O=acme"}};
  auto t = Table(o);
  AuthRequest r;
  r.cert_subject = "CN=alice,O=acme";
  r.cert_names = {"alice@example.com"};
  EXPECT_EQ(Authenticator::Check(*t, r).user, "alice@example.com");
  r.cert_names.clear();
  EXPECT_FALSE(Authenticator::Check(*t, r).allowed);
  r.cert_subject = "CN=bob,O=acme";
  EXPECT_EQ(Authenticator::Check(*t, r).via, Via::kCertificate);
}

TEST(AuthenticatorTest, ReloadKeepsOnlyUnchangedCredentials) {
  Options o;
  o.authorization.users = {UserOptions{.user = "alice", .password = "a"}, UserOptions{.user = "bob", .password = "b"}};
  auto before = Table(o);
  Decision alice = Authenticator::Check(*before, UserPass("alice", "a"));
  Decision bob = Authenticator::Check(*before, UserPass("bob", "b"));

  o.authorization.users = {UserOptions{.user = "alice", .password = "a"}, UserOptions{.user = "bob", .password = "new"}};
  o.authorization.users[0].permissions.subscribe.allow = {"x"};
  auto after = Table(o);
  Revalidation a = Authenticator::Revalidate(*after, Protocol::kNats, alice.via, alice.user, alice.fingerprint);
  EXPECT_TRUE(a.keep);
  ASSERT_NE(a.permissions, nullptr);
  EXPECT_FALSE(a.permissions->CanSubscribe("y", ""));
  EXPECT_FALSE(Authenticator::Revalidate(*after, Protocol::kNats, bob.via, bob.user, bob.fingerprint).keep);
}

}  // namespace
}  // namespace tern::server::auth
