#include "server/config/config_test_util.h"

namespace tern::server {
namespace {

class TlsTest : public ConfigTest {};

TEST_F(TlsTest, ClientBlockInEveryForm) {
  std::string yaml = WriteYaml("tls:\n  cert_file: " + Cert() + "\n  key_file: " + Key() + "\n  ca_file: " + Ca() +
                               "\n  verify: true\n  timeout: 5s\n  min_version: 1.3\n  handshake_first: auto\n");
  TlsOptions t = LoadOk({"-c", yaml}).options.tls;
  EXPECT_EQ(t.cert_file, Cert());
  EXPECT_EQ(t.key_file, Key());
  EXPECT_EQ(t.ca_file, Ca());
  EXPECT_TRUE(t.verify);
  EXPECT_FALSE(t.verify_and_map);
  EXPECT_EQ(t.timeout, milliseconds(5000));
  EXPECT_EQ(t.min_version, "1.3");
  EXPECT_EQ(t.handshake_first, TlsHandshakeFirst::kAuto);
  EXPECT_TRUE(t.enabled());

  t = LoadOk({}, {{"TERN_TLS_CERT_FILE", Cert()}, {"TERN_TLS_KEY_FILE", Key()}, {"TERN_TLS_TIMEOUT", "1s"}})
          .options.tls;
  EXPECT_EQ(t.cert_file, Cert());
  EXPECT_EQ(t.timeout, milliseconds(1000));
  t = LoadOk({"--tls.cert_file", Cert(), "--tls.key_file=" + Key(), "--tls.verify_and_map", "--tls.ca_file", Ca()})
          .options.tls;
  EXPECT_TRUE(t.verify_and_map);
  EXPECT_EQ(t.ca_file, Ca());
}

// One declaration of the tls fields serves every listener.
TEST_F(TlsTest, TheSameBlockUnderWebsocket) {
  ConfigResult r = LoadOk({"-c", WriteYaml("websocket:\n  port: 8443\n  tls:\n    cert_file: " + Cert() +
                                           "\n    key_file: " + Key() + "\n    min_version: '1.3'\n")});
  EXPECT_EQ(r.options.websocket.tls.cert_file, Cert());
  EXPECT_EQ(r.options.websocket.tls.min_version, "1.3");
  EXPECT_TRUE(r.options.websocket.secure());
  EXPECT_FALSE(r.options.tls.enabled());
  EXPECT_EQ(r.options.layers.at("websocket.tls.cert_file"), ConfigLayer::kFile);

  r = LoadOk({"-c", WriteYaml("websocket.tls.cert_file: " + Cert() + "\nwebsocket.tls:\n  key_file: " + Key() + "\n")});
  EXPECT_TRUE(r.options.websocket.tls.enabled());
  r = LoadOk({"--websocket.tls.key_file", Key()}, {{"TERN_WEBSOCKET_TLS_CERT_FILE", Cert()}});
  EXPECT_EQ(r.options.websocket.tls.key_file, Key());
  EXPECT_EQ(r.options.layers.at("websocket.tls.cert_file"), ConfigLayer::kEnv);
  // handshake_first is the NATS protocol's; the websocket block has none.
  EXPECT_TRUE(HasError(Load({"--websocket.tls.handshake_first", "true"}), "unknown flag"));
}

TEST_F(TlsTest, NatsServerFlags) {
  TlsOptions t =
      LoadOk({"--tls", "--tlscert", Cert(), "--tlskey", Key(), "--tlscacert", Ca(), "--tlsverify"}).options.tls;
  EXPECT_EQ(t.cert_file, Cert());
  EXPECT_EQ(t.key_file, Key());
  EXPECT_EQ(t.ca_file, Ca());
  EXPECT_TRUE(t.verify);
  EXPECT_EQ(LoadOk({"-tlscert=" + Cert(), "-tlskey=" + Key()}).options.tls.key_file, Key());

  EXPECT_EQ(Load({"--tls"}).errors,
            std::vector<std::string>{
                "--tls: TLS is required but tls.cert_file (--tlscert) and tls.key_file (--tlskey) are not both set"});
  EXPECT_TRUE(HasError(Load({"--tls", "--tlscert", Cert()}), "--tls: TLS is required"));
  EXPECT_TRUE(HasError(Load({"--tls=false"}), "--tls: can only be switched on"));
  EXPECT_TRUE(HasError(Load({}, {{"TERN_TLS", "1"}}), "TERN_TLS: TLS is required"));
  EXPECT_TRUE(
      HasError(Load({"-c", WriteYaml("tls: true\n")}), ":1: tls: is a section; expected a map such as `tls: {"));
}

TEST_F(TlsTest, CertificateAndKeyComeTogether) {
  EXPECT_EQ(Load({"--tlscert", Cert()}).errors,
            std::vector<std::string>{"tls.cert_file (from --tlscert (tls.cert_file)) is set but tls.key_file is not: "
                                     "TLS needs the certificate and its private key"});
  EXPECT_EQ(Load({}, {{"TERN_WEBSOCKET_TLS_KEY_FILE", Key()}}).errors,
            std::vector<std::string>{"websocket.tls.key_file (from TERN_WEBSOCKET_TLS_KEY_FILE) is set but "
                                     "websocket.tls.cert_file is not: TLS needs the certificate and its private key"});
}

TEST_F(TlsTest, FilesMustBeReadableAtStartUp) {
  std::string missing = (dir_ / "missing.pem").string();
  ConfigResult r = Load({"--tlscert", missing, "--tlskey", Key(), "--tlscacert", dir_.string()});
  EXPECT_TRUE(HasError(
      r, "tls.cert_file (from --tlscert (tls.cert_file)): cannot read '" + missing + "': No such file or directory"));
  EXPECT_TRUE(HasError(
      r, "tls.ca_file (from --tlscacert (tls.ca_file)): cannot read '" + dir_.string() + "': it is a directory"));
  std::string yaml = WriteYaml("tls:\n  cert_file: " + missing + "\n  key_file: " + Key() + "\n");
  EXPECT_TRUE(HasError(Load({"-c", yaml}), "tls.cert_file (from " + yaml + ":2: tls.cert_file): cannot read"));
  // A listener that is off does not need its files.
  LoadOk({"--websocket.port", "0", "--websocket.tls.cert_file", missing, "--websocket.tls.key_file", missing});
}

TEST_F(TlsTest, VerifyNeedsCaFile) {
  EXPECT_EQ(Load(TlsArgs({"--tlsverify"})).errors,
            std::vector<std::string>{"tls.verify (from --tlsverify (tls.verify)) needs tls.ca_file: client "
                                     "certificates are verified against it"});
  EXPECT_TRUE(HasError(Load(TlsArgs({"--tls.verify_and_map"})),
                       "tls.verify_and_map (from --tls.verify_and_map) "
                       "needs tls.ca_file"));
  LoadOk(TlsArgs({"--tlsverify", "--tlscacert", Ca()}));
}

// A setting that only matters with TLS, without TLS, would let someone
// believe the listener is encrypted or checks certificates.
TEST_F(TlsTest, TlsSettingsWithoutTlsAreErrors) {
  ConfigResult r = Load({"--tlsverify", "--tls.handshake_first", "auto"}, {{"TERN_WEBSOCKET_TLS_CA_FILE", Ca()}});
  EXPECT_EQ(r.errors.size(), 3u) << Joined(r.errors);
  EXPECT_TRUE(HasError(r,
                       "tls.verify (from --tlsverify (tls.verify)) is set but TLS is off: tls.cert_file and "
                       "tls.key_file are not set"));
  EXPECT_TRUE(HasError(r, "tls.handshake_first (from --tls.handshake_first) is set but TLS is off"));
  EXPECT_TRUE(HasError(r, "websocket.tls.ca_file (from TERN_WEBSOCKET_TLS_CA_FILE) is set but TLS is off"));
}

TEST_F(TlsTest, MinVersionIsOneTwoOrOneThree) {
  EXPECT_TRUE(HasError(Load(TlsArgs({"--tls.min_version", "1.1"})), "--tls.min_version: '1.1' is not one of 1.2, 1.3"));
  EXPECT_EQ(LoadOk(TlsArgs({"--tls.min_version", "1.3"})).options.tls.min_version, "1.3");
}

class WebsocketTest : public ConfigTest {};

TEST_F(WebsocketTest, DefaultsAndEveryOption) {
  WebsocketOptions d = LoadOk({}).options.websocket;
  EXPECT_EQ(d.port, 8080);
  EXPECT_TRUE(d.enabled());
  EXPECT_FALSE(d.secure());
  std::string yaml = WriteYaml(R"(websocket:
  host: 127.0.0.1
  port: 9090
  no_tls: yes
  same_origin: true
  allowed_origins: [https://app.example]
  compression: on
  handshake_timeout: 3s
  max_frame: 2MiB
)");
  WebsocketOptions w = LoadOk({"-c", yaml}).options.websocket;
  EXPECT_EQ(w.host, "127.0.0.1");
  EXPECT_EQ(w.port, 9090);
  EXPECT_TRUE(w.no_tls);
  EXPECT_TRUE(w.same_origin);
  EXPECT_EQ(w.allowed_origins, std::vector<std::string>{"https://app.example"});
  EXPECT_TRUE(w.compression);
  EXPECT_EQ(w.handshake_timeout, milliseconds(3000));
  EXPECT_EQ(w.max_frame, 2u << 20);
  EXPECT_FALSE(LoadOk({"--websocket.port", "0"}).options.websocket.enabled());
  EXPECT_EQ(LoadOk({"--websocket.port", "-1"}).options.websocket.port, -1);
}

TEST_F(WebsocketTest, PortMustDifferFromTheClientPort) {
  EXPECT_EQ(
      Load({"-p", "8080"}).errors,
      std::vector<std::string>{"websocket.port (8080, from default) must differ from port (8080, from -p (port))"});
  EXPECT_TRUE(HasError(Load({}, {{"TERN_WEBSOCKET_PORT", "4222"}}),
                       "websocket.port (4222, from TERN_WEBSOCKET_PORT) must differ from port (4222, from default)"));
  LoadOk({"-p", "8080", "--websocket.port", "0"});
  LoadOk({"-p", "-1", "--websocket.port", "-1"});
}

TEST_F(WebsocketTest, NoTlsWithTlsWarns) {
  ConfigResult r =
      LoadOk({"--websocket.no_tls", "--websocket.tls.cert_file", Cert(), "--websocket.tls.key_file", Key()});
  EXPECT_TRUE(HasWarning(r, "websocket.no_tls (from --websocket.no_tls): websocket.tls is set but not used"));
  EXPECT_FALSE(r.options.websocket.secure());
}

TEST_F(WebsocketTest, NestedYamlErrorsNameThePath) {
  auto load = [&](const std::string& yaml) { return Load({"-c", WriteYaml(yaml)}); };
  EXPECT_TRUE(HasError(load("websocket:\n  tls: 3\n"),
                       ":2: websocket.tls: is a section; expected a map such as `websocket.tls: {cert_file: ...}`"));
  EXPECT_TRUE(
      HasError(load("tls:\n  certfile: x\n"), ":2: unknown option 'tls.certfile' (did you mean tls.cert_file?)"));
  EXPECT_TRUE(HasError(load("websocket:\n  port: [1]\n"), ":2: websocket.port: expected a single value, found a list"));
  EXPECT_TRUE(HasError(load("websocket:\n  allowed_origins: {a: 1}\n"),
                       ":2: websocket.allowed_origins: expected a list, found a map"));
  EXPECT_TRUE(
      HasError(load("websocket.port: 1\nwebsocket:\n  port: 2\n"), ":3: websocket.port: set twice (also on line 1)"));
}

// Each new option with a value it must refuse, through each of the three forms.
TEST_F(WebsocketTest, NewOptionsRejectBadValuesInEveryForm) {
  const std::pair<std::string, std::string> cases[] = {
      {"tls.timeout", "2"},
      {"tls.timeout", "0s"},
      {"tls.min_version", "1.1"},
      {"tls.verify", "maybe"},
      {"tls.handshake_first", "sometimes"},
      {"websocket.port", "x"},
      {"websocket.port", "-2"},
      {"websocket.handshake_timeout", "0s"},
      {"websocket.max_frame", "0"},
      {"websocket.allowed_origins", "nope"},
      {"websocket.same_origin", "2"},
      {"websocket.tls.timeout", "soon"},
  };
  for (const auto& [name, bad] : cases) {
    SCOPED_TRACE(name + " = '" + bad + "'");
    ConfigResult by_flag = Load({"--" + name + "=" + bad});
    ASSERT_EQ(by_flag.errors.size(), 1u) << Joined(by_flag.errors);
    EXPECT_EQ(by_flag.errors[0].rfind("--" + name + ": ", 0), 0u) << by_flag.errors[0];

    ConfigResult by_env = Load({}, {{EnvNameOf(name), bad}});
    ASSERT_EQ(by_env.errors.size(), 1u) << Joined(by_env.errors);
    EXPECT_EQ(by_env.errors[0].rfind(EnvNameOf(name) + ": ", 0), 0u) << by_env.errors[0];

    std::string path = WriteYaml("# bad value on line 2\n" + name + ": '" + bad + "'\n");
    ConfigResult by_file = Load({"-c", path});
    ASSERT_EQ(by_file.errors.size(), 1u) << Joined(by_file.errors);
    EXPECT_EQ(by_file.errors[0].rfind(path + ":2: " + name + ": ", 0), 0u) << by_file.errors[0];
  }
}

}  // namespace
}  // namespace tern::server
