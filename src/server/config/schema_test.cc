// The table itself: spellings are unique, and a list of structs with nested
// sections and lists (the shape authorization.users will need) is just
// declarations, read by the same code as linger.
#include "server/config/schema.h"

#include <set>
#include <sstream>

#include "server/config/builder.h"
#include "server/config/config_test_util.h"

namespace tern::server::config {
namespace {

TEST(SchemaTest, EverySpellingIsUniqueAndEveryOptionHasHelp) {
  std::set<std::string> seen;
  for (const auto& s : Schema()) {
    EXPECT_FALSE(s.help.empty()) << s.name;
    for (const std::string& w : {s.name, EnvName(s.name)}) EXPECT_TRUE(seen.insert(w).second) << w;
    for (auto w : Words(s.flags)) EXPECT_TRUE(seen.insert(std::string(w)).second) << w;
    for (auto w : Words(s.aliases)) EXPECT_TRUE(seen.insert(std::string(w)).second) << w;
  }
}

TEST(SchemaTest, BlocksAreAttachedNotRepeated) {
  for (std::string_view field :
       {"cert_file", "key_file", "ca_file", "verify", "verify_and_map", "timeout", "min_version"}) {
    const Spec& client = SpecNamed(fmt::format("tls.{}", field));
    const Spec& ws = SpecNamed(fmt::format("websocket.tls.{}", field));
    EXPECT_EQ(client.kind, ws.kind) << field;
    EXPECT_EQ(client.help, ws.help) << field;
    EXPECT_EQ(ws.path.size(), client.path.size() + 1) << field;
  }
  EXPECT_EQ(SpecNamed("linger").kind, Kind::kStructList);
  EXPECT_EQ(SpecNamed("linger").element.size(), 3u);
}

struct SubjectRules {
  std::vector<std::string> allow, deny;
};
struct Permissions {
  SubjectRules publish, subscribe;
  bool allow_responses = false;
};
struct User {
  std::string user, password;
  Permissions permissions;
};

const Spec kRules[] = {
    {.name = "allow", .kind = Kind::kStringList, .path = {HopTo<&SubjectRules::allow>}, .help = "Allowed."},
    {.name = "deny", .kind = Kind::kStringList, .path = {HopTo<&SubjectRules::deny>}, .help = "Denied."},
};

std::vector<Spec> UserFields() {
  std::vector<Spec> f = {
      {.name = "user", .kind = Kind::kString, .path = {HopTo<&User::user>}, .help = "Name.", .required = true},
      {.name = "password", .kind = Kind::kString, .path = {HopTo<&User::password>}, .help = "Password."},
      {.name = "permissions.allow_responses",
       .kind = Kind::kBool,
       .path = {HopTo<&User::permissions>, HopTo<&Permissions::allow_responses>},
       .help = "Reply to requests."},
  };
  Attach(&f, "permissions.publish", {HopTo<&User::permissions>, HopTo<&Permissions::publish>}, kRules);
  Attach(&f, "permissions.subscribe", {HopTo<&User::permissions>, HopTo<&Permissions::subscribe>}, kRules);
  return f;
}

class ListOfStructsTest : public ConfigTest {};

TEST_F(ListOfStructsTest, NestedSectionsAndListsInsideElements) {
  static const std::vector<Spec> fields = UserFields();
  const Spec users = {
      .name = "users", .kind = Kind::kStructList, .help = "Users.", .list = &kListOf<User>, .element = fields};
  std::string path = WriteYaml(R"(- user: alice
  password: secret
  permissions:
    publish: {allow: [">"], deny: [secret.>]}
    subscribe:
      allow:
        - _INBOX.>
    allow_responses: true
- user: bob
  permissions.publish.allow: orders.*
- password: nobody
- user: carol
  permissions: {publish: {alow: [x]}}
)");
  Node root;
  std::vector<std::string> errors;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  ASSERT_TRUE(ParseYaml(path, text.str(), &root, &errors));
  Builder b;
  std::vector<User> list;
  ReadStructList(users, root, &list, &b);

  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(list[0].user, "alice");
  EXPECT_EQ(list[0].permissions.publish.allow, std::vector<std::string>{">"});
  EXPECT_EQ(list[0].permissions.publish.deny, std::vector<std::string>{"secret.>"});
  EXPECT_EQ(list[0].permissions.subscribe.allow, std::vector<std::string>{"_INBOX.>"});
  EXPECT_TRUE(list[0].permissions.allow_responses);
  EXPECT_EQ(list[1].permissions.publish.allow, std::vector<std::string>{"orders.*"});
  EXPECT_FALSE(list[1].permissions.allow_responses);
  EXPECT_EQ(b.errors.size(), 2u) << Joined(b.errors);
  ConfigResult r;
  r.errors = b.errors;
  EXPECT_TRUE(HasError(r, path + ":11: users[2]: user is missing"));
  EXPECT_TRUE(HasError(r, path + ":12: users[3]: unknown key 'permissions.publish.alow' (expected user, password, "
                                 "permissions.allow_responses, permissions.publish.allow"));
}

}  // namespace
}  // namespace tern::server::config
