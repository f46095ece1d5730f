// authorization {} in both file syntaxes, the flags nats-server shares, and
// the rules that stop start-up instead of locking everyone out.
#include "server/config/config_test_util.h"

namespace tern::server {
namespace {

using std::chrono::milliseconds;
using Strings = std::vector<std::string>;

constexpr const char* kNkey = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4";

class AuthorizationConfigTest : public ConfigTest {};

TEST_F(AuthorizationConfigTest, YamlUsersWithPermissionsAndLimits) {
  std::string path = WriteYaml(std::string(R"(authorization:
  timeout: 3s
  users:
    - user: alice
      password: $2a$11$abcdefghijklmnopqrstuuVnK8o7QyJw2fMkVw7s5N5I9dOu6m0aW
      max_connections: 2
      permissions:
        publish: {allow: ["orders.>"], deny: [orders.secret]}
        subscribe: ["_INBOX.>", "jobs.* workers"]
        allow_responses: {max: 3, expires: 1m}
    - nkey: )") + kNkey + R"(
  default_permissions:
    subscribe:
      deny: [">"]
no_auth_user: alice
)");
  ConfigResult r = LoadOk({"-c", path});
  const AuthorizationOptions& a = r.options.authorization;
  EXPECT_EQ(r.options.auth_timeout, milliseconds(3000));
  ASSERT_EQ(a.users.size(), 2u);
  EXPECT_EQ(a.users[0].user, "alice");
  EXPECT_EQ(a.users[0].limits.max_connections, 2);
  EXPECT_EQ(a.users[0].permissions.publish.allow, Strings{"orders.>"});
  EXPECT_EQ(a.users[0].permissions.publish.deny, Strings{"orders.secret"});
  EXPECT_EQ(a.users[0].permissions.subscribe.allow, (Strings{"_INBOX.>", "jobs.* workers"}));
  EXPECT_TRUE(a.users[0].permissions.responses_on());
  EXPECT_EQ(a.users[0].permissions.responses_max, 3);
  EXPECT_EQ(a.users[0].permissions.responses_expires, milliseconds(60'000));
  EXPECT_EQ(a.users[1].nkey, kNkey);
  EXPECT_EQ(a.default_permissions.subscribe.deny, Strings{">"});
  EXPECT_EQ(r.options.no_auth_user, "alice");
}

TEST_F(AuthorizationConfigTest, NatsConfAuthorizationBlock) {
  std::string path = WriteFile("auth.conf", std::string(R"(port: -1
authorization {
  timeout: 0.5
  users = [
    {user: alice, password: pw, permissions: {publish: "orders.*", subscribe: {allow: ["a", "b"], deny: "b.x"}}}
    {user: bob, pass: pw2, permissions: {allow_responses: {max: 2, expires: "30s"}}}
    {nkey: )") + kNkey + R"(}
  ]
  default_permissions: {publish: {deny: ["_TERN.>"]}}
}
no_auth_user: bob
)");
  ConfigResult r = LoadOk({"-c", path});
  const AuthorizationOptions& a = r.options.authorization;
  EXPECT_EQ(r.options.auth_timeout, milliseconds(500));
  ASSERT_EQ(a.users.size(), 3u);
  EXPECT_EQ(a.users[0].password, "pw");
  EXPECT_EQ(a.users[0].permissions.publish.allow, Strings{"orders.*"});
  EXPECT_EQ(a.users[0].permissions.subscribe.allow, (Strings{"a", "b"}));
  EXPECT_EQ(a.users[0].permissions.subscribe.deny, Strings{"b.x"});
  EXPECT_EQ(a.users[1].password, "pw2");
  EXPECT_TRUE(a.users[1].permissions.allow_responses);
  EXPECT_EQ(a.users[1].permissions.responses_max, 2);
  EXPECT_EQ(a.users[1].permissions.responses_expires, milliseconds(30'000));
  EXPECT_EQ(a.users[2].nkey, kNkey);
  EXPECT_EQ(a.default_permissions.publish.deny, Strings{"_TERN.>"});
  EXPECT_EQ(r.options.no_auth_user, "bob");

  std::string token = WriteFile("token.conf", "authorization { token: s3cret }\n");
  EXPECT_EQ(LoadOk({"-c", token}).options.authorization.token, "s3cret");
  std::string single = WriteFile("single.conf", "authorization { user: u, password: p }\n");
  EXPECT_EQ(LoadOk({"-c", single}).options.authorization.user, "u");
}

TEST_F(AuthorizationConfigTest, NatsServerFlags) {
  ConfigResult r = LoadOk({"--user", "u", "--pass", "p"});
  EXPECT_EQ(r.options.authorization.user, "u");
  EXPECT_EQ(r.options.authorization.password, "p");
  EXPECT_EQ(LoadOk({"--auth", "t"}).options.authorization.token, "t");
}

TEST_F(AuthorizationConfigTest, MistakesStopStartUp) {
  EXPECT_TRUE(HasError(Load({"--user", "u"}), "authorization.user (from --user (authorization.user)) needs authorization.password"));
  EXPECT_TRUE(HasError(Load({"--auth", "t", "--user", "u", "--pass", "p"}), "a token or users, not both"));
  std::string both = WriteYaml(R"(authorization:
  user: a
  password: b
  users: [{user: c, password: d}]
)", "both.yaml");
  EXPECT_TRUE(HasError(Load({"-c", both}), "a single user or a list of users, not both"));
  std::string bad = WriteYaml(R"(authorization:
  users:
    - {user: a, password: x}
    - {user: a, password: y}
    - {password: z}
    - {nkey: NOTAKEY}
    - {user: b, permissions: {publish: ["foo..bar"], subscribe: ["ok q1 q2"]}}
no_auth_user: nobody
)", "bad.yaml");
  ConfigResult r = Load({"-c", bad});
  EXPECT_TRUE(HasError(r, "authorization.users[1] (from ")) << Joined(r.errors);
  EXPECT_TRUE(HasError(r, "'a' is listed twice"));
  EXPECT_TRUE(HasError(r, "needs either user or nkey"));
  EXPECT_TRUE(HasError(r, "nkey 'NOTAKEY' is not a public user NKey"));
  EXPECT_TRUE(HasError(r, "'foo..bar' is not a valid subject"));
  EXPECT_TRUE(HasError(r, "'ok q1 q2': expected a subject and at most one queue group"));
  EXPECT_TRUE(HasError(r, "'nobody' is not one of authorization.users"));
}

TEST_F(AuthorizationConfigTest, ReloadShowsNoSecrets) {
  std::string path = WriteYaml("authorization: {token: first}\n");
  ConfigResult r = LoadOk({"-c", path});
  WriteYaml("authorization: {token: second}\n");
  ConfigResult again = ReloadFromFile(r.options, {});
  ASSERT_TRUE(again.errors.empty()) << Joined(again.errors);
  EXPECT_EQ(again.options.authorization.token, "second");
  ASSERT_EQ(again.reloaded.size(), 1u);
  EXPECT_EQ(again.reloaded[0].before, "(secret)");
  EXPECT_EQ(again.reloaded[0].after, "(secret)");
}

}  // namespace
}  // namespace tern::server
