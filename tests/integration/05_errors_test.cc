// Every -ERR a client can provoke, and whether the connection survives it.
// The texts are nats-server's, byte for byte: client libraries match on them.
//
// Kept open:  'Invalid Subject' (SUB), 'Invalid Publish Subject' (pedantic
//             PUB), 'maximum subscriptions exceeded' (06_limits).
// Closed:     'Unknown Protocol Operation', 'Maximum Payload Violation',
//             'maximum control line exceeded', 'no responders requires
//             headers support', and malformed arguments (closed; nats-server
//             sends no -ERR for those, so any -ERR text is accepted there).
#include <string>

#include "server_test.h"

namespace tern::testing {
namespace {

using namespace std::chrono_literals;

class ErrorsTest : public ServerTest {
 protected:
  // Sends `text` on a fresh client and expects the server to close the
  // connection, with nothing but (optionally) one -ERR line before the close.
  void ExpectClosedWithoutOutput(const std::string& text, const std::string& connect = "{\"verbose\":false}") {
    RawClient c;
    ASSERT_TRUE(Connect(c, connect));
    ASSERT_TRUE(c.Send(text));
    std::string drained;
    ASSERT_TRUE(c.ExpectClosed(kDefaultTimeout, &drained)) << "after sending '" << text << "'";
    EXPECT_TRUE(drained.empty() || (drained.rfind("-ERR '", 0) == 0 && drained.find("\r\n") == drained.size() - 2))
        << "after sending '" << text << "' got '" << drained << "'";
  }
};

TEST_P(ErrorsTest, UnknownOperationClosesConnection) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(c.Send("FOO bar\r\n"));
  EXPECT_TRUE(c.ExpectErr("Unknown Protocol Operation"));
  EXPECT_TRUE(c.ExpectClosed());
}

TEST_P(ErrorsTest, ServerOnlyOperationsFromClientAreUnknown) {
  START_SERVER();
  for (const char* text : {"MSG foo 1 1\r\na\r\n", "HMSG foo 1 12 12\r\nNATS/1.0\r\n\r\n\r\n"}) {
    RawClient c;
    ASSERT_TRUE(Connect(c));
    ASSERT_TRUE(c.Send(text));
    EXPECT_TRUE(c.ExpectErr("Unknown Protocol Operation")) << text;
    EXPECT_TRUE(c.ExpectClosed()) << text;
  }
}

TEST_P(ErrorsTest, OperationWithoutArgumentsIsUnknown) {
  START_SERVER();
  for (const char* text : {"SUB\r\n", "PUB\r\n", "UNSUB\r\n"}) {
    RawClient c;
    ASSERT_TRUE(Connect(c));
    ASSERT_TRUE(c.Send(text));
    EXPECT_TRUE(c.ExpectErr("Unknown Protocol Operation")) << text;
    EXPECT_TRUE(c.ExpectClosed()) << text;
  }
}

TEST_P(ErrorsTest, InvalidSubscriptionSubjectKeepsConnection) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  int sid = 1;
  for (const char* subject : {"foo.", ".foo", "a..b", "foo.>.bar", ">.a", "."}) {
    ASSERT_TRUE(c.Send("SUB " + std::string(subject) + " " + std::to_string(sid++) + "\r\n"));
    EXPECT_TRUE(c.ExpectErr("Invalid Subject")) << subject;
  }
  EXPECT_TRUE(c.Ping());
  ASSERT_TRUE(c.Send("SUB ok 99\r\n" + Pub("ok", "still here")));
  EXPECT_TRUE(c.ExpectMsg("ok", "99", "", "still here"));
}

TEST_P(ErrorsTest, InvalidSubjectWithVerboseGetsNoOk) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c, "{\"verbose\":true}"));
  ASSERT_TRUE(c.Send("SUB a..b 1\r\nSUB good 2\r\n"));
  EXPECT_TRUE(c.ExpectErr("Invalid Subject"));
  EXPECT_TRUE(c.Expect("+OK"));
  EXPECT_TRUE(c.Ping());
}

TEST_P(ErrorsTest, InvalidPublishSubjectInPedanticModeKeepsConnection) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c, "{\"verbose\":false,\"pedantic\":true}"));
  for (const char* subject : {"foo.*", "foo.>", ">", "a..b", ".x", "x."}) {
    ASSERT_TRUE(c.Send(Pub(subject, "x")));
    EXPECT_TRUE(c.ExpectErr("Invalid Publish Subject")) << subject;
  }
  EXPECT_TRUE(c.Ping());
  ASSERT_TRUE(c.Send("SUB ok 1\r\n" + Pub("ok", "fine")));
  EXPECT_TRUE(c.ExpectMsg("ok", "1", "", "fine"));
}

TEST_P(ErrorsTest, WildcardPublishSubjectWithoutPedanticIsNotAnError) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c, "{\"verbose\":false,\"pedantic\":false}"));
  ASSERT_TRUE(c.Send(Pub("foo.*", "x") + Pub("foo.>", "y")));
  EXPECT_TRUE(c.Ping());
}

TEST_P(ErrorsTest, MaxPayloadViolationClosesConnection) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(c.Send("PUB foo 1048577\r\n"));
  EXPECT_TRUE(c.ExpectErr("Maximum Payload Violation"));
  EXPECT_TRUE(c.ExpectClosed());
}

TEST_P(ErrorsTest, MaxPayloadIsInclusive) {
  ServerLimits limits;
  limits.max_payload = 1024;
  START_SERVER(limits);
  RawClient ok;
  ASSERT_TRUE(Connect(ok));
  ASSERT_TRUE(ok.Send("SUB foo 1\r\n" + Pub("foo", std::string(1024, 'x'))));
  EXPECT_TRUE(ok.ExpectMsg("foo", "1", "", std::string(1024, 'x')));

  RawClient over;
  ASSERT_TRUE(Connect(over));
  ASSERT_TRUE(over.Send("PUB foo 1025\r\n"));
  EXPECT_TRUE(over.ExpectErr("Maximum Payload Violation"));
  EXPECT_TRUE(over.ExpectClosed());
}

TEST_P(ErrorsTest, MaxPayloadCountsHeadersToo) {
  ServerLimits limits;
  limits.max_payload = 1024;
  START_SERVER(limits);
  RawClient c;
  ASSERT_TRUE(Connect(c, "{\"verbose\":false,\"headers\":true}"));
  ASSERT_TRUE(c.Send("HPUB foo 500 1025\r\n"));
  EXPECT_TRUE(c.ExpectErr("Maximum Payload Violation"));
  EXPECT_TRUE(c.ExpectClosed());
}

TEST_P(ErrorsTest, MaxControlLineExceededClosesConnection) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  // No line end: the server must give up once the partial line passes the cap.
  ASSERT_TRUE(c.Send("PUB foo." + std::string(8192, 'x')));
  EXPECT_TRUE(c.ExpectErr("maximum control line exceeded"));
  EXPECT_TRUE(c.ExpectClosed());
}

TEST_P(ErrorsTest, MaxControlLineFollowsTheLimit) {
  ServerLimits limits;
  limits.max_control_line = 256;
  START_SERVER(limits);
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(c.Send("SUB " + std::string(200, 'a') + " 1\r\n"));  // under the cap
  EXPECT_TRUE(c.Ping());
  ASSERT_TRUE(c.Send("SUB " + std::string(1000, 'b')));
  EXPECT_TRUE(c.ExpectErr("maximum control line exceeded"));
  EXPECT_TRUE(c.ExpectClosed());
}

TEST_P(ErrorsTest, PayloadLongerThanDeclaredClosesConnection) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(c.Send("PUB foo 1\r\nabc\r\n"));
  EXPECT_TRUE(c.ExpectErr("Unknown Protocol Operation"));
  EXPECT_TRUE(c.ExpectClosed());
}

TEST_P(ErrorsTest, PayloadMustEndWithCrlf) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(c.Send("PUB foo 3\r\nabcXY"));
  EXPECT_TRUE(c.ExpectErr("Unknown Protocol Operation"));
  EXPECT_TRUE(c.ExpectClosed());
}

TEST_P(ErrorsTest, MalformedArgumentsCloseConnection) {
  START_SERVER();
  for (const char* text : {"PUB foo -1\r\n", "PUB foo x\r\n", "PUB foo bar baz 1\r\n", "SUB foo\r\n", "SUB a b c d\r\n",
                           "UNSUB 1 2 3\r\n", "HPUB foo 5 3\r\n", "HPUB foo 1\r\n"}) {
    SCOPED_TRACE(text);
    ExpectClosedWithoutOutput(text, "{\"verbose\":false,\"headers\":true}");
  }
}

TEST_P(ErrorsTest, HpubWithoutHeadersInConnectClosesConnection) {
  START_SERVER();
  ExpectClosedWithoutOutput("HPUB foo 12 12\r\nNATS/1.0\r\n\r\n\r\n", "{\"verbose\":false,\"headers\":false}");
}

TEST_P(ErrorsTest, ConnectWithInvalidJsonClosesConnection) {
  START_SERVER();
  for (const char* text : {"CONNECT {bad json}\r\n", "CONNECT\r\n", "CONNECT [1,2]\r\n"}) {
    RawClient c;
    ASSERT_TRUE(c.Connect(target()));
    ASSERT_TRUE(c.Send(text));
    std::string drained;
    EXPECT_TRUE(c.ExpectClosed(kDefaultTimeout, &drained)) << text;
    EXPECT_TRUE(drained.empty() || drained.rfind("-ERR '", 0) == 0) << text << " -> " << drained;
  }
}

TEST_P(ErrorsTest, NoRespondersWithoutHeadersIsRejected) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(c.Connect(target()));
  ASSERT_TRUE(c.Send("CONNECT {\"verbose\":false,\"headers\":false,\"no_responders\":true}\r\n"));
  EXPECT_TRUE(c.ExpectErr("no responders requires headers support"));
  EXPECT_TRUE(c.ExpectClosed());
}

TEST_P(ErrorsTest, ErrorOnOneConnectionDoesNotDisturbOthers) {
  START_SERVER();
  RawClient sub, bad;
  ASSERT_TRUE(Connect(sub));
  ASSERT_TRUE(Connect(bad));
  ASSERT_TRUE(sub.Send("SUB foo 1\r\n"));
  ASSERT_TRUE(sub.Ping());
  ASSERT_TRUE(bad.Send(Pub("foo", "before") + "BOGUS\r\n" + Pub("foo", "after")));
  EXPECT_TRUE(bad.ExpectErr("Unknown Protocol Operation"));
  EXPECT_TRUE(bad.ExpectClosed());
  // What came before the error was delivered, what came after was not.
  EXPECT_TRUE(sub.ExpectMsg("foo", "1", "", "before"));
  EXPECT_TRUE(sub.Ping());
}

TERN_INSTANTIATE_TRANSPORTS(ErrorsTest);

}  // namespace
}  // namespace tern::testing
