#include "proto/subject.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tern::proto {
namespace {

using namespace std::string_literals;

struct ValidityCase {
  std::string subject;
  bool valid;    // IsValidSubject (SUB)
  bool literal;  // IsValidLiteralSubject (PUB)
};

// Expected values are those of nats-server's IsValidSubject /
// IsValidLiteralSubject (server/sublist.go, current source). The installed
// v2.9.10 binary, asked over the wire with pedantic on (SUB for the first
// column, PUB for the second), agrees on every row it can be sent except
// one: it predates the whitespace check and accepts "foo\fbar" in a SUB.
const std::vector<ValidityCase> kValidity = {
    {"foo", true, true},
    {"foo.bar", true, true},
    {"foo.bar.baz.qux.quux", true, true},
    {"_INBOX.abc123.1", true, true},
    {"$SYS.REQ.SERVER.PING", true, true},
    {"*", true, false},
    {">", true, false},
    {"foo.*", true, false},
    {"foo.>", true, false},
    {"*.bar", true, false},
    {"*.*.*", true, false},
    {"foo.*.>", true, false},
    {"*.>", true, false},
    // A wildcard character inside a longer token is plain text.
    {"foo*", true, true},
    {"foo>", true, true},
    {"*foo", true, true},
    {">foo", true, true},
    {"foo.b*r", true, true},
    {"foo.>bar", true, true},
    {"foo.bar>", true, true},
    {"**", true, true},
    {">>", true, true},
    {"foo.>>.bar", true, true},
    {"a>.b", true, true},
    // Empty tokens.
    {"", false, false},
    {".", false, false},
    {"..", false, false},
    {".foo", false, false},
    {"foo.", false, false},
    {"foo..bar", false, false},
    {"foo.bar.", false, false},
    {".>", false, false},
    {"*.", false, false},
    // '>' anywhere but last.
    {">.foo", false, false},
    {"foo.>.bar", false, false},
    {"foo.>.*", false, false},
    {">.>", false, false},
    // Whitespace fails SUB; the PUB check, like nats-server's, ignores it.
    {"foo bar", false, true},
    {"foo\tbar", false, true},
    {"foo\nbar", false, true},
    {"foo\rbar", false, true},
    {"foo\fbar", false, true},
    {" ", false, true},
    {"foo. ", false, true},
    {" .foo", false, true},
    {"foo.\t", false, true},
    {"foo. .bar", false, true},
    // Not whitespace to nats-server: vertical tab, NUL, UTF-8.
    {"foo\vbar", true, true},
    {"foo\0bar"s, true, true},
    {"caf\xc3\xa9.men\xc3\xbc", true, true},
    {"\xff\xfe", true, true},
};

TEST(SubjectTest, ValidityTable) {
  for (const ValidityCase& c : kValidity) {
    EXPECT_EQ(IsValidSubject(c.subject), c.valid) << "IsValidSubject(\"" << c.subject << "\")";
    EXPECT_EQ(IsValidLiteralSubject(c.subject), c.literal) << "IsValidLiteralSubject(\"" << c.subject << "\")";
  }
}

TEST(SubjectTest, ValidLiteralImpliesValidWithoutWhitespace) {
  // Consistency between the two: a valid SUB subject with no wildcard token is
  // a valid PUB subject.
  for (const ValidityCase& c : kValidity) {
    if (!c.valid) continue;
    EXPECT_EQ(c.literal, !HasWildcard(c.subject)) << c.subject;
  }
}

TEST(SubjectTest, LongSubjects) {
  std::string s;
  for (int i = 0; i < 500; ++i) s += (i ? ".t" : "t") + std::to_string(i);
  EXPECT_TRUE(IsValidSubject(s));
  EXPECT_TRUE(IsValidLiteralSubject(s));
  EXPECT_TRUE(IsValidSubject(s + ".>"));
  EXPECT_FALSE(IsValidSubject(s + ".>.x"));
  EXPECT_FALSE(IsValidSubject(s + "..x"));
  EXPECT_FALSE(IsValidLiteralSubject(s + ".*"));
  EXPECT_FALSE(IsValidSubject(s + " "));
}

TEST(SubjectTest, QueueNames) {
  EXPECT_TRUE(IsValidQueueName("workers"));
  EXPECT_TRUE(IsValidQueueName("q.1"));
  EXPECT_TRUE(IsValidQueueName("*"));
  EXPECT_TRUE(IsValidQueueName(">"));
  EXPECT_FALSE(IsValidQueueName(""));
  EXPECT_FALSE(IsValidQueueName("a b"));
  EXPECT_FALSE(IsValidQueueName("a\tb"));
  EXPECT_FALSE(IsValidQueueName("a\r"));
  EXPECT_FALSE(IsValidQueueName("\n"));
  EXPECT_FALSE(IsValidQueueName("a\fb"));
}

TEST(SubjectTest, HasWildcard) {
  EXPECT_TRUE(HasWildcard("*"));
  EXPECT_TRUE(HasWildcard(">"));
  EXPECT_TRUE(HasWildcard("foo.*"));
  EXPECT_TRUE(HasWildcard("foo.*.bar"));
  EXPECT_TRUE(HasWildcard("*.bar"));
  EXPECT_TRUE(HasWildcard("foo.>"));
  EXPECT_FALSE(HasWildcard("foo"));
  EXPECT_FALSE(HasWildcard("foo*"));
  EXPECT_FALSE(HasWildcard("foo.*bar"));
  EXPECT_FALSE(HasWildcard("foo.b>"));
  EXPECT_FALSE(HasWildcard(">>"));
  EXPECT_FALSE(HasWildcard(""));
}

TEST(SubjectTest, Tokens) {
  auto split = [](std::string_view s) {
    std::vector<std::string> out;
    for (SubjectTokens t(s); !t.done();) out.emplace_back(t.Next());
    return out;
  };
  EXPECT_EQ(split("a.b.c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(split("a"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(split(""), (std::vector<std::string>{""}));
  EXPECT_EQ(split("a..b"), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(split(".a."), (std::vector<std::string>{"", "a", ""}));
  SubjectTokens t("x.y.z");
  EXPECT_EQ(t.Next(), "x");
  EXPECT_EQ(t.rest(), "y.z");
}

struct MatchCase {
  const char* pattern;
  const char* subject;
  bool match;
};

const MatchCase kMatches[] = {
    {"foo", "foo", true},
    {"foo", "bar", false},
    {"foo", "foo.bar", false},
    {"foo.bar", "foo", false},
    {"foo.bar", "foo.bar", true},
    {"foo.bar", "foo.baz", false},
    {"foo", "fo", false},
    {"fo", "foo", false},
    {"*", "foo", true},
    {"*", "foo.bar", false},
    {"foo.*", "foo.bar", true},
    {"foo.*", "foo", false},
    {"foo.*", "foo.bar.baz", false},
    {"*.bar", "foo.bar", true},
    {"*.bar", "foo.baz", false},
    {"foo.*.baz", "foo.bar.baz", true},
    {"foo.*.baz", "foo.bar.qux", false},
    {"*.*", "a.b", true},
    {"*.*", "a", false},
    {"*.*", "a.b.c", false},
    {">", "foo", true},
    {">", "foo.bar.baz", true},
    {"foo.>", "foo.bar", true},
    {"foo.>", "foo.bar.baz", true},
    {"foo.>", "foo", false},
    {"foo.>", "bar.baz", false},
    {"*.>", "foo", false},
    {"*.>", "foo.bar", true},
    {"foo.*.>", "foo.bar.baz.qux", true},
    {"foo.*.>", "foo.bar", false},
    // Wildcard characters inside a token are compared as text.
    {"foo*", "foo", false},
    {"foo*", "foobar", false},
    {"foo*", "foo*", true},
    {"foo.b*", "foo.bar", false},
    {"foo>", "foo.bar", false},
    {"foo.>bar", "foo.xbar", false},
    {"foo.>bar", "foo.>bar", true},
    // '>' not last is not a wildcard.
    {"foo.>.bar", "foo.x.bar", false},
    // A literal subject that looks like a wildcard only matches wildcards.
    {"*", "*", true},
    {">", ">", true},
    {"foo", "*", false},
    {"", "foo", false},
    {"foo", "", false},
    {">", "", false},
};

TEST(SubjectTest, MatchingTable) {
  for (const MatchCase& c : kMatches) {
    EXPECT_EQ(SubjectMatches(c.pattern, c.subject), c.match)
        << "SubjectMatches(\"" << c.pattern << "\", \"" << c.subject << "\")";
  }
}

}  // namespace
}  // namespace tern::proto
