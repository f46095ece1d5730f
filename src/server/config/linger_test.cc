#include "server/config/config_test_util.h"

namespace tern::server {
namespace {

TEST_F(ConfigTest, LingerAsYamlList) {
  std::string path = WriteYaml(R"(linger:
  - subject: room.>
    for: 3s
    max_bytes: 64MiB
  - subject: chat.*
    for: 1500ms
  - subject: news
    max_bytes: 1KB
)");
  ConfigResult r = LoadOk({"-c", path});
  ASSERT_EQ(r.options.linger.size(), 3u);
  EXPECT_EQ(r.options.linger[0].subject, "room.>");
  EXPECT_EQ(r.options.linger[0].hold, milliseconds(3000));
  EXPECT_EQ(r.options.linger[0].max_bytes, 64u << 20);
  EXPECT_EQ(r.options.linger[1].subject, "chat.*");
  EXPECT_EQ(r.options.linger[1].hold, milliseconds(1500));
  EXPECT_EQ(r.options.linger[1].max_bytes, LingerRule{}.max_bytes);
  EXPECT_EQ(r.options.linger[2].hold, LingerRule{}.hold);
  EXPECT_EQ(r.options.linger[2].max_bytes, 1024u);
  // The compact form is accepted in the file too.
  EXPECT_EQ(LoadOk({"-c", WriteYaml("linger: a.>=2s\n")}).options.linger.at(0).hold, milliseconds(2000));
}

TEST_F(ConfigTest, LingerYamlErrorsNameTheRule) {
  std::string path = WriteYaml(R"(linger:
  - for: 3s
  - subject: a..b
  - subject: ok
    fro: 3s
  - subject: ok2
    for: 3
    max_bytes: lots
  - just-a-string
)");
  ConfigResult r = Load({"-c", path});
  EXPECT_TRUE(HasError(r, path + ":2: linger[0]: subject is missing"));
  EXPECT_TRUE(HasError(r, path + ":3: linger[1]: 'a..b' is not a valid subject"));
  EXPECT_TRUE(HasError(r, path + ":4: linger[2]: unknown key 'fro' (expected subject, for, max_bytes)"));
  EXPECT_TRUE(HasError(r, "linger[3].for: '3' is not a duration"));
  EXPECT_TRUE(HasError(r, "linger[3].max_bytes: 'lots' is not a size"));
  EXPECT_TRUE(HasError(r, path + ":9: linger[4]: expected a map"));
  EXPECT_EQ(r.errors.size(), 6u) << Joined(r.errors);
}

TEST_F(ConfigTest, LingerCompactForm) {
  ConfigResult r = LoadOk({"--linger", "room.>=3s/64MiB, chat.*=1s,news"});
  ASSERT_EQ(r.options.linger.size(), 3u);
  EXPECT_EQ(r.options.linger[0].subject, "room.>");
  EXPECT_EQ(r.options.linger[0].max_bytes, 64u << 20);
  EXPECT_EQ(r.options.linger[1].subject, "chat.*");
  EXPECT_EQ(r.options.linger[1].hold, milliseconds(1000));
  EXPECT_EQ(r.options.linger[2].subject, "news");
  EXPECT_EQ(FormatLingerRules(r.options.linger), "room.>=3s/64MiB,chat.*=1s/64MiB,news=3s/64MiB");

  // A repeated flag adds; a flag replaces the file's list; "" clears it.
  std::string path = WriteYaml("linger:\n  - subject: from.file\n");
  EXPECT_EQ(LoadOk({"--linger", "a=1s", "--linger", "b=2s"}).options.linger.size(), 2u);
  EXPECT_EQ(LoadOk({"-c", path, "--linger", "a=1s"}).options.linger.at(0).subject, "a");
  EXPECT_TRUE(LoadOk({"-c", path}, {{"TERN_LINGER", ""}}).options.linger.empty());
  EXPECT_EQ(LoadOk({}, {{"TERN_LINGER", "x.*=250ms/1MiB"}}).options.linger.at(0).hold, milliseconds(250));

  EXPECT_TRUE(HasError(Load({"--linger", "a.>.b=1s"}), "--linger: 'a.>.b' is not a valid subject"));
  EXPECT_TRUE(HasError(Load({"--linger", "a=1s,,b"}), "--linger: empty rule"));
  EXPECT_TRUE(HasError(Load({"--linger", "a=0s"}), "a: hold time must be at least 1ms"));
  EXPECT_TRUE(HasError(Load({"--linger", "a=1s,a=2s"}), "linger (from --linger): subject 'a' is listed twice"));
}

TEST(ParseLingerRulesTest, CollectsEveryBadRule) {
  std::vector<LingerRule> rules;
  std::vector<std::string> problems;
  EXPECT_FALSE(ParseLingerRules("a b=1s,ok=2x,fine=1s/9QB,good", &rules, &problems));
  EXPECT_EQ(problems.size(), 3u) << Joined(problems);
  rules.clear();
  problems.clear();
  EXPECT_TRUE(ParseLingerRules("x.*.y=1m/1KB,>", &rules, &problems)) << Joined(problems);
  EXPECT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].hold, milliseconds(60'000));
}

}  // namespace
}  // namespace tern::server
