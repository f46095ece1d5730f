#include "server_test.h"

#include <cstdlib>
#include <cstring>

#include "test_certs.h"

namespace tern::testing {

bool NatsReferenceEnabled() {
  const char* v = std::getenv("TERN_TEST_AGAINST_NATS");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

bool TransportSelected(Transport transport) {
  const char* v = std::getenv("TERN_TEST_TRANSPORTS");
  if (v == nullptr || *v == '\0') return true;
  const std::string list = std::string(",") + v + ",";
  return list.find("," + std::string(TransportName(transport)) + ",") != std::string::npos;
}

void PrintTo(const ServerParam& param, std::ostream* os) {
  *os << param.flavor;
  if (param.in_transport_dimension) *os << " over " << TransportName(param.transport);
}

std::string FlavorParamName(const ::testing::TestParamInfo<ServerParam>& info) { return info.param.flavor; }

std::string FlavorTransportParamName(const ::testing::TestParamInfo<ServerParam>& info) {
  return info.param.flavor + "_" + std::string(TransportName(info.param.transport));
}

std::vector<ServerParam> AllTransports(const std::vector<std::string>& flavors) {
  std::vector<ServerParam> params;
  for (const std::string& flavor : flavors) {
    for (Transport t : {Transport::kTcp, Transport::kTls, Transport::kWs, Transport::kWss}) {
      params.push_back({flavor, t, true});
    }
  }
  return params;
}

ServerListeners ListenersFor(Transport transport, const TestCerts* certs) {
  static const TestCerts kNoCerts;
  if (certs == nullptr) certs = &kNoCerts;
  ServerListeners listeners;
  switch (transport) {
    case Transport::kTcp:
      break;
    case Transport::kTls:
      listeners.tls = TlsSetup{.cert_file = certs->server_cert, .key_file = certs->server_key};
      break;
    case Transport::kWs:
      listeners.websocket = WebsocketSetup{};
      break;
    case Transport::kWss:
      listeners.websocket = WebsocketSetup{.tls = true, .cert_file = certs->server_cert, .key_file = certs->server_key};
      break;
  }
  return listeners;
}

Target TargetFor(const ServerProcess& server, Transport transport) {
  Target target;
  target.transport = transport;
  target.host = server.host();
  target.port = IsWebsocket(transport) ? server.websocket_port() : server.port();
  if (UsesTls(transport)) {
    std::string ignored;
    if (const TestCerts* certs = GetTestCerts(&ignored)) target.tls.ca_file = certs->ca_cert;
  }
  return target;
}

void ServerTest::SetUp() {
  flavor_ = MakeFlavor(GetParam().flavor);
  ASSERT_NE(flavor_, nullptr) << "unknown flavour " << GetParam().flavor;
  if (IsNats() && !NatsReferenceEnabled()) {
    GTEST_SKIP() << "nats-server reference run is off; set TERN_TEST_AGAINST_NATS=1 to check this expectation "
                    "against nats-server";
  }
  if (!TransportSelected(transport())) {
    GTEST_SKIP() << TransportName(transport())
                 << " is not in TERN_TEST_TRANSPORTS=" << std::getenv("TERN_TEST_TRANSPORTS");
  }
}

void ServerTest::StartServer(const ServerLimits& limits, std::vector<std::string> extra_args) {
  // Whether the flavour can do it depends on the shape alone: skip before
  // making certificates nobody will use.
  if (std::string why = flavor_->Unsupported(limits, ListenersFor(transport(), nullptr)); !why.empty()) {
    GTEST_SKIP() << why;
  }
  const TestCerts* certs = nullptr;
  if (UsesTls(transport())) {
    certs = Certs();
    if (certs == nullptr) return;
  }
  StartServerWith(ListenersFor(transport(), certs), limits, std::move(extra_args));
}

void ServerTest::StartServerWith(const ServerListeners& listeners, const ServerLimits& limits,
                                 std::vector<std::string> extra_args) {
  if (std::string why = flavor_->Unsupported(limits, listeners); !why.empty()) {
    GTEST_SKIP() << why;
  }
  server_ = std::make_unique<ServerProcess>(*flavor_, limits, std::move(extra_args), listeners);
  if (!server_->Start()) {
    if (server_->websocket_not_built()) GTEST_SKIP() << server_->error() << " (its websocket stage is not in main yet)";
    FAIL() << flavor_->Name() << " server did not start: " << server_->error();
  }
}

const TestCerts* ServerTest::Certs() {
  std::string error;
  const TestCerts* certs = GetTestCerts(&error);
  if (certs == nullptr) ADD_FAILURE() << "no test certificates (openssl): " << error;
  return certs;
}

::testing::AssertionResult ServerTest::Connect(RawClient& client, const std::string& connect_json,
                                               const ConnectOptions& options) {
  if (!server_) return ::testing::AssertionFailure() << "no server started";
  return client.ConnectAndHandshake(target(), connect_json, options);
}

}  // namespace tern::testing
