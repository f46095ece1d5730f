#include "proto/nats/connect_info.h"

#include <gtest/gtest.h>

#include <string>

namespace tern::proto::nats {
namespace {

TEST(ConnectInfoTest, DefaultsAreNatsServers) {
  // nats-server answers CONNECT {} then SUB with +OK twice: verbose and
  // pedantic default to on.
  ConnectOptions o;
  std::string err;
  ASSERT_TRUE(ParseConnect("{}", &o, &err)) << err;
  EXPECT_TRUE(o.verbose);
  EXPECT_TRUE(o.pedantic);
  EXPECT_TRUE(o.echo);
  EXPECT_FALSE(o.headers);
  EXPECT_FALSE(o.no_responders);
  EXPECT_EQ(o.protocol, 0);
}

TEST(ConnectInfoTest, TypicalClientConnect) {
  ConnectOptions o;
  std::string err;
  ASSERT_TRUE(ParseConnect(R"({"verbose":false,"pedantic":false,"user":"u","pass":"p","auth_token":"t",)"
                           R"("tls_required":false,"name":"svc","lang":"nats.js","version":"2.12.1","protocol":1,)"
                           R"("echo":false,"headers":true,"no_responders":true,"jwt":"J","nkey":"N","sig":"S"})",
                           &o, &err))
      << err;
  EXPECT_FALSE(o.verbose);
  EXPECT_FALSE(o.pedantic);
  EXPECT_FALSE(o.echo);
  EXPECT_TRUE(o.headers);
  EXPECT_TRUE(o.no_responders);
  EXPECT_EQ(o.user, "u");
  EXPECT_EQ(o.pass, "p");
  EXPECT_EQ(o.auth_token, "t");
  EXPECT_EQ(o.name, "svc");
  EXPECT_EQ(o.lang, "nats.js");
  EXPECT_EQ(o.version, "2.12.1");
  EXPECT_EQ(o.protocol, 1);
  EXPECT_EQ(o.jwt, "J");
  EXPECT_EQ(o.nkey, "N");
  EXPECT_EQ(o.sig, "S");
}

TEST(ConnectInfoTest, ToleratesWhatGoToleratesInConnect) {
  std::string err;
  {
    ConnectOptions o;  // keys match ignoring case, like encoding/json
    ASSERT_TRUE(ParseConnect(R"({"VERBOSE":false,"Pedantic":false,"Name":"x"})", &o, &err)) << err;
    EXPECT_FALSE(o.verbose);
    EXPECT_FALSE(o.pedantic);
    EXPECT_EQ(o.name, "x");
  }
  {
    ConnectOptions o;  // unknown fields of any shape are ignored
    ASSERT_TRUE(ParseConnect(R"({"verbose":false,"unknown":{"a":[1,2,{"b":null}]},"x":1.5})", &o, &err)) << err;
    EXPECT_FALSE(o.verbose);
  }
  {
    ConnectOptions o;  // null leaves the field alone
    ASSERT_TRUE(ParseConnect(R"({"verbose":null,"name":null})", &o, &err)) << err;
    EXPECT_TRUE(o.verbose);
  }
  {
    ConnectOptions o;  // a null document changes nothing
    ASSERT_TRUE(ParseConnect("null", &o, &err)) << err;
    EXPECT_TRUE(o.verbose);
  }
  {
    ConnectOptions o;  // the last duplicate wins
    ASSERT_TRUE(ParseConnect(R"({"verbose":false,"verbose":true})", &o, &err)) << err;
    EXPECT_TRUE(o.verbose);
  }
  {
    ConnectOptions o;  // fields not in the JSON keep what *out held
    o.name = "kept";
    ASSERT_TRUE(ParseConnect(R"( { "verbose" : false } )", &o, &err)) << err;
    EXPECT_EQ(o.name, "kept");
  }
}

TEST(ConnectInfoTest, RejectsWhatNatsServerRejects) {
  // Each of these makes nats-server 2.9 close the connection (checked against
  // the real server): bad JSON, trailing data, a non-object, wrong types.
  for (const char* bad : {"", "xx", "{", "{\"verbose\":false}  junk", "[]", "\"s\"", "1", R"({"verbose":"yes"})",
                          R"({"verbose":1})", R"({"echo":1})", R"({"name":1})", R"({"protocol":1.5})",
                          R"({"protocol":"1"})", R"({"protocol":1.0})", R"({"protocol":1e0})", R"({"user":true})"}) {
    ConnectOptions o;
    std::string err;
    EXPECT_FALSE(ParseConnect(bad, &o, &err)) << bad;
    EXPECT_FALSE(err.empty()) << bad;
  }
  ConnectOptions o;
  std::string err;
  // Negative protocol parses (the server then sends 'invalid client protocol').
  EXPECT_TRUE(ParseConnect(R"({"protocol":-1})", &o, &err)) << err;
  EXPECT_EQ(o.protocol, -1);
}

TEST(ConnectInfoTest, ConnectRoundTrip) {
  ConnectOptions in;
  in.verbose = false;
  in.pedantic = false;
  in.headers = true;
  in.no_responders = true;
  in.name = "n \"quoted\"";
  in.lang = "cpp";
  in.version = "0.1.0";
  in.protocol = 1;
  in.user = "alice";
  in.pass = "s3cret";
  std::string wire = EncodeConnect(in);
  ASSERT_EQ(wire.rfind("CONNECT {", 0), 0u);
  ASSERT_EQ(wire.substr(wire.size() - 2), "\r\n");
  ConnectOptions out;
  std::string err;
  ASSERT_TRUE(ParseConnect(std::string_view(wire).substr(8, wire.size() - 10), &out, &err)) << err;
  EXPECT_EQ(out.verbose, in.verbose);
  EXPECT_EQ(out.pedantic, in.pedantic);
  EXPECT_EQ(out.headers, in.headers);
  EXPECT_EQ(out.no_responders, in.no_responders);
  EXPECT_EQ(out.name, in.name);
  EXPECT_EQ(out.user, in.user);
  EXPECT_EQ(out.pass, in.pass);
  EXPECT_EQ(out.protocol, 1);
  EXPECT_EQ(wire.find("auth_token"), std::string::npos);  // empty auth fields are left out
}

TEST(ConnectInfoTest, InfoMatchesNatsServerBytes) {
  // What nats-server v2.9.10 sent on a plain accept, byte for byte.
  ServerInfo info;
  info.server_id = "ND6O63DRDVXCROKH3ZNTIX7QZKUQQBSIRMZ3KXVY3XUXYM7VQHKW7OOL";
  info.server_name = info.server_id;
  info.version = "2.9.10";
  info.go = "go1.19.8";
  info.host = "127.0.0.1";
  info.port = 14998;
  info.client_id = 4;
  info.client_ip = "127.0.0.1";
  EXPECT_EQ(EncodeInfo(info),
            "INFO {\"server_id\":\"ND6O63DRDVXCROKH3ZNTIX7QZKUQQBSIRMZ3KXVY3XUXYM7VQHKW7OOL\",\"server_name\":"
            "\"ND6O63DRDVXCROKH3ZNTIX7QZKUQQBSIRMZ3KXVY3XUXYM7VQHKW7OOL\",\"version\":\"2.9.10\",\"proto\":1,\"go\":"
            "\"go1.19.8\",\"host\":\"127.0.0.1\",\"port\":14998,\"headers\":true,\"max_payload\":1048576,"
            "\"client_id\":4,\"client_ip\":\"127.0.0.1\"} \r\n");
  // With auth and a cluster, the optional fields appear where nats-server puts them.
  info.auth_required = true;
  info.cluster = "c1";
  info.connect_urls = {"127.0.0.1:4222", "127.0.0.1:4223"};
  info.ldm = true;
  info.nonce = "abc";
  const std::string wire = EncodeInfo(info);
  EXPECT_NE(wire.find("\"headers\":true,\"auth_required\":true,\"max_payload\":1048576,"), std::string::npos);
  EXPECT_NE(wire.find("\"client_ip\":\"127.0.0.1\",\"nonce\":\"abc\",\"cluster\":\"c1\",\"connect_urls\":"
                      "[\"127.0.0.1:4222\",\"127.0.0.1:4223\"],\"ldm\":true}"),
            std::string::npos);
}

TEST(ConnectInfoTest, InfoRoundTrip) {
  ServerInfo in;
  in.server_id = "id";
  in.server_name = "name";
  in.version = "0.1.0";
  in.go = "tern";
  in.host = "0.0.0.0";
  in.port = 4222;
  in.headers = true;
  in.auth_required = true;
  in.tls_required = true;
  in.max_payload = 8 << 20;
  in.client_id = 1ull << 40;
  in.client_ip = "10.0.0.1";
  in.nonce = "n";
  in.cluster = "c";
  in.connect_urls = {"a:1", "b:2"};
  in.ldm = true;
  const std::string wire = EncodeInfo(in);
  ASSERT_EQ(wire.rfind("INFO {", 0), 0u);
  ASSERT_EQ(wire.substr(wire.size() - 3), " \r\n");
  ServerInfo out;
  out.headers = false;
  std::string err;
  ASSERT_TRUE(ParseInfo(std::string_view(wire).substr(5, wire.size() - 8), &out, &err)) << err;
  EXPECT_EQ(out.server_id, in.server_id);
  EXPECT_EQ(out.server_name, in.server_name);
  EXPECT_EQ(out.version, in.version);
  EXPECT_EQ(out.go, in.go);
  EXPECT_EQ(out.host, in.host);
  EXPECT_EQ(out.port, in.port);
  EXPECT_TRUE(out.headers);
  EXPECT_TRUE(out.auth_required);
  EXPECT_TRUE(out.tls_required);
  EXPECT_EQ(out.max_payload, in.max_payload);
  EXPECT_EQ(out.client_id, in.client_id);
  EXPECT_EQ(out.client_ip, in.client_ip);
  EXPECT_EQ(out.nonce, in.nonce);
  EXPECT_EQ(out.cluster, in.cluster);
  EXPECT_EQ(out.connect_urls, in.connect_urls);
  EXPECT_TRUE(out.ldm);
}

TEST(ConnectInfoTest, InfoWithInvalidUtf8DoesNotThrow) {
  ServerInfo in;
  in.server_name = std::string("bad\xff");
  std::string wire = EncodeInfo(in);
  EXPECT_EQ(wire.rfind("INFO {", 0), 0u);
}

}  // namespace
}  // namespace tern::proto::nats
