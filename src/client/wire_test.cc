#include "wire.h"

#include <gtest/gtest.h>

#include "tern/message.h"

namespace tern::internal {
namespace {

TEST(WireTest, PubAndHpub) {
  std::string out;
  AppendPub(out, "foo", "", "hello");
  EXPECT_EQ(out, "PUB foo 5\r\nhello\r\n");
  EXPECT_EQ(PubWireSize("foo", "", 0, 5), out.size());
  out.clear();
  AppendPub(out, "foo", "_INBOX.x", "");
  EXPECT_EQ(out, "PUB foo _INBOX.x 0\r\n\r\n");
  EXPECT_EQ(PubWireSize("foo", "_INBOX.x", 0, 0), out.size());
  out.clear();
  Headers h;
  h.Add("A", "b");
  std::string block = h.Encode();
  AppendHpub(out, "s", "r", block, "xyz");
  EXPECT_EQ(out, "HPUB s r 18 21\r\nNATS/1.0\r\nA: b\r\n\r\nxyz\r\n");
  EXPECT_EQ(PubWireSize("s", "r", block.size(), 3), out.size());
}

TEST(WireTest, SubUnsub) {
  std::string out;
  AppendSub(out, "a.*", "", 7);
  AppendSub(out, "a.>", "workers", 8);
  AppendUnsub(out, 7, 0);
  AppendUnsub(out, 8, 3);
  EXPECT_EQ(out, "SUB a.* 7\r\nSUB a.> workers 8\r\nUNSUB 7\r\nUNSUB 8 3\r\n");
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

}  // namespace
}  // namespace tern::internal
