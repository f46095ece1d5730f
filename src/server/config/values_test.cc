#include "server/config/config_test_util.h"

namespace tern::server {
namespace {

TEST(ParseDurationTest, Valid) {
  const std::pair<const char*, int64_t> cases[] = {
      {"0", 0},          {"0s", 0},      {"250ms", 250}, {"3s", 3000},           {"2m", 120'000},   {"1h", 3'600'000},
      {"1m30s", 90'000}, {"1.5s", 1500}, {".5s", 500},   {"1h0m1ms", 3'600'001}, {"0.25m", 15'000}, {"10ms", 10},
  };
  for (auto [text, ms] : cases) {
    milliseconds d{-1};
    EXPECT_TRUE(ParseDuration(text, &d)) << text;
    EXPECT_EQ(d.count(), ms) << text;
  }
}

TEST(ParseDurationTest, Invalid) {
  for (const char* text : {"", "10", "3S", "-1s", "1.5ms", "s", "3 s", " 3s", "1.s", "3sec", "1e3ms", "1..5s", "3s ",
                           "99999999999999999999h", "9223372036854775807h", "2562047788015h59m", "2d"}) {
    milliseconds d{42};
    EXPECT_FALSE(ParseDuration(text, &d)) << text;
    EXPECT_EQ(d.count(), 42) << "output untouched on failure: " << text;
  }
}

TEST(ParseSizeTest, Valid) {
  const std::pair<const char*, uint64_t> cases[] = {
      {"0", 0},
      {"1024", 1024},
      {"10b", 10},
      {"1K", 1000},
      {"64KB", 65536},
      {"64kb", 65536},
      {"64KiB", 65536},
      {"1M", 1'000'000},
      {"1MiB", 1 << 20},
      {"1mb", 1 << 20},
      {"2GB", 2ull << 30},
      {"1G", 1'000'000'000},
      {"1TiB", 1ull << 40},
      {"3Mi", 3u << 20},
  };
  for (auto [text, bytes] : cases) {
    uint64_t v = 7;
    EXPECT_TRUE(ParseSize(text, &v)) << text;
    EXPECT_EQ(v, bytes) << text;
  }
}

TEST(ParseSizeTest, Invalid) {
  for (const char* text :
       {"", "12XB", "1.5MB", "-1", "MB", "1 MB", "+1", "20000000000000000000", "16777216TiB", "1KBB"}) {
    uint64_t v = 7;
    EXPECT_FALSE(ParseSize(text, &v)) << text;
    EXPECT_EQ(v, 7u) << text;
  }
}

TEST(FormatTest, PicksTheLargestExactUnit) {
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(FormatDuration(milliseconds(3000)), "3s");
  EXPECT_EQ(FormatDuration(milliseconds(120'000)), "2m");
  EXPECT_EQ(FormatDuration(milliseconds(7'200'000)), "2h");
  EXPECT_EQ(FormatSize(1 << 20), "1MiB");
  EXPECT_EQ(FormatSize(64 << 10), "64KiB");
  EXPECT_EQ(FormatSize(1000), "1000");
  EXPECT_EQ(FormatSize(0), "0");
  for (int64_t ms : {1, 999, 1000, 61'000, 3'600'000}) {
    milliseconds back{};
    ASSERT_TRUE(ParseDuration(FormatDuration(milliseconds(ms)), &back));
    EXPECT_EQ(back.count(), ms);
  }
}

class KindsTest : public ConfigTest {};

TEST_F(KindsTest, BooleansInEveryFormAndBareFlags) {
  for (const char* yes : {"true", "yes", "on", "1", "TRUE", "Yes"}) {
    SCOPED_TRACE(yes);
    EXPECT_TRUE(LoadOk({std::string("--websocket.compression=") + yes}).options.websocket.compression);
    EXPECT_TRUE(LoadOk({}, {{"TERN_WEBSOCKET_COMPRESSION", yes}}).options.websocket.compression);
    EXPECT_TRUE(LoadOk({"-c", WriteYaml(std::string("websocket:\n  compression: ") + yes + "\n")})
                    .options.websocket.compression);
  }
  for (const char* no : {"false", "no", "off", "0", "False"}) {
    SCOPED_TRACE(no);
    EXPECT_FALSE(LoadOk({"--websocket.compression", no}).options.websocket.compression);
  }
  // Alone, a boolean flag means true; it takes the next argument only when
  // that argument is a boolean word.
  EXPECT_TRUE(LoadOk({"--websocket.same_origin"}).options.websocket.same_origin);
  ConfigResult r = LoadOk({"--websocket.same_origin", "--port", "5"});
  EXPECT_TRUE(r.options.websocket.same_origin);
  EXPECT_EQ(r.options.port, 5);
  EXPECT_FALSE(LoadOk({"--websocket.same_origin", "off"}).options.websocket.same_origin);
  EXPECT_TRUE(HasError(Load({"--websocket.no_tls=maybe"}), "--websocket.no_tls: 'maybe' is not true or false"));
  EXPECT_TRUE(HasError(Load({"--websocket.no_tls", "maybe"}), "unexpected argument 'maybe'"));
}

TEST_F(KindsTest, StringListsInEveryForm) {
  const std::vector<std::string> want = {"https://a.example", "http://b.example:8080"};
  EXPECT_EQ(LoadOk({"--websocket.allowed_origins", "https://a.example, http://b.example:8080"})
                .options.websocket.allowed_origins,
            want);
  EXPECT_EQ(
      LoadOk({"--websocket.allowed_origins=https://a.example", "--websocket.allowed_origins", "http://b.example:8080"})
          .options.websocket.allowed_origins,
      want);
  EXPECT_EQ(LoadOk({}, {{"TERN_WEBSOCKET_ALLOWED_ORIGINS", "https://a.example,http://b.example:8080"}})
                .options.websocket.allowed_origins,
            want);
  std::string yaml =
      WriteYaml("websocket:\n  allowed_origins:\n    - https://a.example\n    - http://b.example:8080\n");
  EXPECT_EQ(LoadOk({"-c", yaml}).options.websocket.allowed_origins, want);
  EXPECT_EQ(LoadOk({"-c", WriteYaml("websocket.allowed_origins: [https://a.example, http://b.example:8080]\n")})
                .options.websocket.allowed_origins,
            want);
  // A flag replaces the file's list; an empty variable clears it.
  EXPECT_EQ(LoadOk({"-c", yaml, "--websocket.allowed_origins", "https://c.example"}).options.websocket.allowed_origins,
            std::vector<std::string>{"https://c.example"});
  EXPECT_TRUE(LoadOk({"-c", yaml}, {{"TERN_WEBSOCKET_ALLOWED_ORIGINS", ""}}).options.websocket.allowed_origins.empty());

  EXPECT_TRUE(HasError(Load({"--websocket.allowed_origins", "example.com"}),
                       "--websocket.allowed_origins: 'example.com' is not an origin (scheme://host[:port])"));
  EXPECT_TRUE(HasError(Load({"--websocket.allowed_origins", "https://a.example,,https://b.example"}), "empty item"));
  std::string path = WriteYaml("websocket:\n  allowed_origins:\n    - https://a.example\n    - {x: 1}\n");
  EXPECT_TRUE(HasError(Load({"-c", path}), ":4: websocket.allowed_origins[1]: expected a single value, found a map"));
}

TEST_F(KindsTest, HandshakeFirst) {
  auto hf = [&](const std::string& v) { return LoadOk(TlsArgs({"--tls.handshake_first", v})).options.tls; };
  EXPECT_EQ(hf("false").handshake_first, TlsHandshakeFirst::kOff);
  EXPECT_EQ(hf("true").handshake_first, TlsHandshakeFirst::kOn);
  EXPECT_EQ(hf("on").handshake_first, TlsHandshakeFirst::kOn);
  EXPECT_EQ(hf("auto").handshake_first, TlsHandshakeFirst::kAuto);
  EXPECT_EQ(hf("auto").handshake_first_fallback, milliseconds(50));
  EXPECT_EQ(hf("300ms").handshake_first, TlsHandshakeFirst::kAuto);
  EXPECT_EQ(hf("300ms").handshake_first_fallback, milliseconds(300));
  EXPECT_EQ(hf("0s").handshake_first, TlsHandshakeFirst::kOn);  // no fallback at all, as in nats-server
  EXPECT_TRUE(HasError(Load(TlsArgs({"--tls.handshake_first", "sometimes"})),
                       "--tls.handshake_first: 'sometimes' is not false, true, auto or a fallback delay"));
  EXPECT_TRUE(HasError(Load(TlsArgs({"--tls.handshake_first", "1.5ms"})), "not false, true, auto"));
}

}  // namespace
}  // namespace tern::server
