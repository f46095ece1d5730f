#include "wire.h"

#include <gtest/gtest.h>

#include <random>

#include "tern/message.h"

namespace tern::internal {
namespace {

TEST(WireTest, PubAndHpub) {
  OutBuffer out;
  AppendPub(out, "foo", "", "hello");
  EXPECT_EQ(out.view(), "PUB foo 5\r\nhello\r\n");
  EXPECT_EQ(PubWireSize("foo", "", 0, 5), out.size());
  out.clear();
  AppendPub(out, "foo", "_INBOX.x", "");
  EXPECT_EQ(out.view(), "PUB foo _INBOX.x 0\r\n\r\n");
  EXPECT_EQ(PubWireSize("foo", "_INBOX.x", 0, 0), out.size());
  out.clear();
  Headers h;
  h.Add("A", "b");
  std::string block = h.Encode();
  AppendHpub(out, "s", "r", block, "xyz");
  EXPECT_EQ(out.view(), "HPUB s r 18 21\r\nNATS/1.0\r\nA: b\r\n\r\nxyz\r\n");
  EXPECT_EQ(PubWireSize("s", "r", block.size(), 3), out.size());
}

TEST(WireTest, SubUnsub) {
  OutBuffer out;
  AppendSub(out, "a.*", "", 7);
  AppendSub(out, "a.>", "workers", 8);
  AppendUnsub(out, 7, 0);
  AppendUnsub(out, 8, 3);
  EXPECT_EQ(out.view(), "SUB a.* 7\r\nSUB a.> workers 8\r\nUNSUB 7\r\nUNSUB 8 3\r\n");
}

TEST(WireTest, ConnectCarriesHeadersAndCredentials) {
  Options o;
  o.name = "svc";
  o.user = "u";
  o.password = "p";
  ServerUrl url;
  std::string out;
  AppendConnect(out, o, url);
  EXPECT_EQ(out.rfind("CONNECT {", 0), 0u);
  EXPECT_NE(out.find("\"headers\":true"), std::string::npos);
  EXPECT_NE(out.find("\"no_responders\":true"), std::string::npos);
  EXPECT_NE(out.find("\"user\":\"u\""), std::string::npos);
  EXPECT_NE(out.find("\"name\":\"svc\""), std::string::npos);
  // URL credentials win.
  url.token = "tok";
  out.clear();
  AppendConnect(out, o, url);
  EXPECT_NE(out.find("\"auth_token\":\"tok\""), std::string::npos);
}

TEST(WireTest, InfoAndSubjects) {
  ServerInfo info;
  ASSERT_TRUE(
      ParseInfo(R"({"server_id":"S","max_payload":2048,"headers":true,"connect_urls":["127.0.0.1:1"]})", &info));
  EXPECT_EQ(info.server_id, "S");
  EXPECT_EQ(info.max_payload, 2048);
  EXPECT_TRUE(info.headers);
  ASSERT_EQ(info.connect_urls.size(), 1u);
  EXPECT_FALSE(ParseInfo("not json", &info));

  EXPECT_TRUE(ValidSubject("a.b.c", false));
  EXPECT_FALSE(ValidSubject("a..b", false));
  EXPECT_FALSE(ValidSubject("a.*", false));
  EXPECT_TRUE(ValidSubject("a.*.>", true));
  EXPECT_FALSE(ValidSubject("a.>.b", true));
  EXPECT_FALSE(ValidSubject("a b", true));
  EXPECT_FALSE(ValidSubject("", true));
  EXPECT_EQ(NewNuid().size(), 22u);
  EXPECT_NE(NewNuid(), NewNuid());
}

// The validator as it was written first, token by token: the single-pass one
// in wire.cc must agree with it on every input.
bool ReferenceValidSubject(std::string_view subject, bool allow_wildcards) {
  if (subject.empty()) return false;
  size_t token_start = 0;
  for (size_t i = 0; i <= subject.size(); ++i) {
    if (i == subject.size() || subject[i] == '.') {
      std::string_view token = subject.substr(token_start, i - token_start);
      if (token.empty()) return false;
      if (!allow_wildcards && (token == "*" || token == ">")) return false;
      if (token == ">" && i != subject.size()) return false;
      token_start = i + 1;
      continue;
    }
    char c = subject[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return false;
  }
  return true;
}

TEST(WireTest, ValidSubjectAgreesWithTokenByTokenCheck) {
  for (std::string_view s : {"a",    ".",   "a.", ".a",   "*",    ">",      "a.*",  "a.>",   ">.a",
                             "*.*",  "a*",  "*a", ">a",   "a>",   "a.b>.c", "\x01", "a\x7f", "caf\xc3\xa9.x",
                             "a\tb", "a\r", "\n", "a..b", "a.b.>"}) {
    EXPECT_EQ(ValidSubject(s, false), ReferenceValidSubject(s, false)) << s;
    EXPECT_EQ(ValidSubject(s, true), ReferenceValidSubject(s, true)) << s;
  }
  // Random strings over the characters that matter, and a few that do not.
  const std::string alphabet = "ab.*> \t\r\n\x01\xff-";
  std::mt19937 rng(7);
  for (int i = 0; i < 200000; ++i) {
    std::string s(rng() % 7, ' ');
    for (char& c : s) c = alphabet[rng() % alphabet.size()];
    ASSERT_EQ(ValidSubject(s, false), ReferenceValidSubject(s, false)) << s;
    ASSERT_EQ(ValidSubject(s, true), ReferenceValidSubject(s, true)) << s;
    char copy[8];
    bool copied = CopyPublishSubject(copy, s);
    ASSERT_EQ(copied, ReferenceValidSubject(s, false)) << s;
    if (copied) {
      ASSERT_EQ(std::string_view(copy, s.size()), s);
    }
  }
}

TEST(WireTest, PubSizesAcrossDigitBoundaries) {
  for (size_t n : {0u, 9u, 10u, 99u, 100u, 999u, 1000u, 65535u, 1048576u}) {
    OutBuffer out;
    std::string data(n, 'x');
    AppendPub(out, "s", n % 2 ? "r" : "", data);
    std::string want = "PUB s " + std::string(n % 2 ? "r " : "") + std::to_string(n) + "\r\n" + data + "\r\n";
    EXPECT_EQ(out.view(), want);
    EXPECT_EQ(PubWireSize("s", n % 2 ? "r" : "", 0, n), out.size());
  }
}

TEST(WireTest, CheckPublishSaysWhich) {
  EXPECT_TRUE(CheckPublish("a", "", 10, 10).ok());
  EXPECT_NE(CheckPublish("a b", "", 1, 10).message().find("publish subject"), std::string::npos);
  EXPECT_NE(CheckPublish("a", "r r", 1, 10).message().find("reply subject"), std::string::npos);
  EXPECT_NE(CheckPublish("a", "", 11, 10).message().find("max_payload"), std::string::npos);
}

}  // namespace
}  // namespace tern::internal
