// Base fixture for black-box tests parameterised over the server flavour and
// the transport clients dial through.
//
// A suite opts in with one line:
//   TERN_INSTANTIATE_FLAVORS(Suite)     tern, nats over TCP only
//   TERN_INSTANTIATE_TRANSPORTS(Suite)  tern_tcp ... nats_wss: every transcript
//                                       over TCP, TLS, WebSocket and WSS
// and writes its transcripts against target() (where clients dial) and
// port() (the client listener, the port INFO names). StartServer() gives
// the server the listeners the transport needs: TLS on the client listener
// for tls; a second, WebSocket port for ws and wss.
//
// The nats-server cases run only with TERN_TEST_AGAINST_NATS=1 (they are the
// reference the tern expectations were checked against) and are skipped
// otherwise. tern cases whose options have not landed yet skip with why.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "raw_client.h"
#include "server_flavor.h"
#include "server_process.h"
#include "target.h"
#include "test_certs.h"

namespace tern::testing {

bool NatsReferenceEnabled();  // env TERN_TEST_AGAINST_NATS=1
// env TERN_TEST_TRANSPORTS (e.g. "tcp,ws") names the transports to run;
// unset means all. The others skip: the list of cases CTest knows stays fixed.
bool TransportSelected(Transport transport);

struct ServerParam {
  std::string flavor;  // "tern" or "nats"
  Transport transport = Transport::kTcp;
  bool in_transport_dimension = false;  // a TERN_INSTANTIATE_TRANSPORTS case (names and prints it)
};
void PrintTo(const ServerParam& param, std::ostream* os);

// The listeners a transport needs, with these certificates (blank paths
// without: enough to ask a flavour whether it can).
ServerListeners ListenersFor(Transport transport, const TestCerts* certs);
// How a client reaches `server` over `transport`, trusting the test CA.
Target TargetFor(const ServerProcess& server, Transport transport);

class ServerTest : public ::testing::TestWithParam<ServerParam> {
 protected:
  void SetUp() override;

  // Starts server_ with these limits (and, for tern-only suites, extra
  // flags) on the listeners the transport needs; GTEST_SKIPs when the
  // flavour cannot express them, fails when the server does not come up.
  // Use START_SERVER / START_SERVER_WITH_ARGS.
  void StartServer(const ServerLimits& limits = {}, std::vector<std::string> extra_args = {});
  // Starts server_ with exactly these listeners, whatever the transport
  // parameter: suites about one transport's own behaviour. Use START_SERVER_WITH.
  void StartServerWith(const ServerListeners& listeners, const ServerLimits& limits = {},
                       std::vector<std::string> extra_args = {});
  // The test certificates; nullptr (and a test failure) when openssl cannot make them.
  const TestCerts* Certs();

  const ServerFlavor& flavor() const { return *flavor_; }
  bool IsNats() const { return GetParam().flavor == "nats"; }
  Transport transport() const { return GetParam().transport; }
  // The client listener's port: what INFO advertises on every listener.
  int port() const { return server_->port(); }
  // Where this suite's clients dial.
  Target target() const { return TargetFor(*server_, transport()); }

  // A client that has read INFO, sent CONNECT (connect_json) and got PONG.
  ::testing::AssertionResult Connect(RawClient& client,
                                     const std::string& connect_json = "{\"verbose\":false,\"pedantic\":false}",
                                     const ConnectOptions& options = {});

  std::unique_ptr<ServerFlavor> flavor_;
  std::unique_ptr<ServerProcess> server_;
};

// "tern", "nats": TCP-only suites.
std::string FlavorParamName(const ::testing::TestParamInfo<ServerParam>& info);
// "tern_tcp", "nats_wss".
std::string FlavorTransportParamName(const ::testing::TestParamInfo<ServerParam>& info);
// Every transport for the given flavours.
std::vector<ServerParam> AllTransports(const std::vector<std::string>& flavors = {"tern", "nats"});

}  // namespace tern::testing

// Inside a TEST_P body: start the fixture's server or leave the test.
#define START_SERVER(...)                         \
  do {                                            \
    StartServer(__VA_ARGS__);                     \
    if (IsSkipped() || HasFatalFailure()) return; \
  } while (0)

// START_SERVER_WITH_ARGS(limits, "--linger", "room.>=3s")
#define START_SERVER_WITH_ARGS(limits, ...)       \
  do {                                            \
    StartServer(limits, {__VA_ARGS__});           \
    if (IsSkipped() || HasFatalFailure()) return; \
  } while (0)

// START_SERVER_WITH(listeners[, limits])
#define START_SERVER_WITH(...)                    \
  do {                                            \
    StartServerWith(__VA_ARGS__);                 \
    if (IsSkipped() || HasFatalFailure()) return; \
  } while (0)

#define TERN_INSTANTIATE_FLAVORS(Suite)                                                                              \
  INSTANTIATE_TEST_SUITE_P(                                                                                          \
      Servers, Suite, ::testing::Values(::tern::testing::ServerParam{"tern"}, ::tern::testing::ServerParam{"nats"}), \
      ::tern::testing::FlavorParamName)

#define TERN_INSTANTIATE_TRANSPORTS(Suite)                                                        \
  INSTANTIATE_TEST_SUITE_P(Servers, Suite, ::testing::ValuesIn(::tern::testing::AllTransports()), \
                           ::tern::testing::FlavorTransportParamName)
