// Hostile and broken clients: garbage, oversized lines, lying sizes, peers
// that vanish mid-message, thousands of half-open connections. Each may cost
// its own connection, never anyone else's: a bystander publisher/subscriber
// pair keeps working and loses nothing, and the server stays up.
#include <random>
#include <string>
#include <vector>

#include "server_test.h"

namespace tern::testing {
namespace {

using namespace std::chrono_literals;

class BadInputTest : public ServerTest {
 protected:
  void SetUpBystanders() {
    ASSERT_TRUE(Connect(sub_));
    ASSERT_TRUE(Connect(pub_));
    ASSERT_TRUE(sub_.Send("SUB bystander.> 1\r\n"));
    ASSERT_TRUE(sub_.Ping());
  }

  // The bystander pair exchanges n messages; every one arrives, in order.
  void CheckBystanders(int n, const std::string& when) {
    SCOPED_TRACE("bystanders " + when);
    std::string batch;
    for (int i = 0; i < n; ++i) batch += Pub("bystander.x", std::to_string(next_ + i));
    ASSERT_TRUE(pub_.Send(batch, 10s));
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(sub_.ExpectMsg("bystander.x", "1", "", std::to_string(next_ + i), 5s)) << "message " << i;
    }
    next_ += n;
    ASSERT_TRUE(server_->IsRunning());
  }

  RawClient sub_, pub_;
  int next_ = 0;
};

TEST_P(BadInputTest, EachBadClientLosesOnlyItsOwnConnection) {
  START_SERVER();
  ASSERT_NO_FATAL_FAILURE(SetUpBystanders());

  std::mt19937 rng(12345);
  std::string noise(4096, '\0');
  for (auto& ch : noise) ch = static_cast<char>(rng());

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"random bytes", noise},
      {"nul and high bytes", std::string("\x00\x01\x02\xff\xfe\r\n", 7)},
      {"http request", "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"},
      {"tls client hello", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + std::string(64, 'r')},
      {"1 MiB line without end", std::string(1 << 20, 'A')},
      {"long SUB line", "SUB " + std::string(70000, 's') + " 1\r\n"},
      {"payload longer than declared", "PUB bystander.x 1\r\nabcdef\r\n"},
      {"size overflow", "PUB bystander.x 99999999999999999999999\r\n"},
      {"negative size", "PUB bystander.x -5\r\nabc\r\n"},
      {"header size above total", "HPUB bystander.x 50 10\r\n"},
      {"bad connect json", "CONNECT {\"verbose\":\r\n"},
      {"too many args", "PUB a b c d e f 1\r\nx\r\n"},
  };
  for (const auto& [name, bytes] : cases) {
    SCOPED_TRACE(name);
    RawClient bad;
    ASSERT_TRUE(bad.Connect(port()));
    // The server may close while we still write; that is fine.
    (void)bad.Send(bytes, 5s);
    EXPECT_TRUE(bad.ExpectClosed(5s));
    ASSERT_NO_FATAL_FAILURE(CheckBystanders(50, "after " + name));
  }
}

TEST_P(BadInputTest, PeersVanishingMidMessageDeliverNothingPartial) {
  START_SERVER();
  ASSERT_NO_FATAL_FAILURE(SetUpBystanders());
  for (int i = 0; i < 200; ++i) {
    RawClient gone;
    ASSERT_TRUE(Connect(gone));
    ASSERT_TRUE(gone.Send("PUB bystander.x 100\r\n" + std::string(50, 'h')));
    if (i % 2 == 0) {
      gone.Abort();  // reset
    } else {
      gone.Close();  // orderly FIN with a half-sent message
    }
  }
  // Only the bystanders' own messages arrive; nothing truncated slipped in.
  ASSERT_NO_FATAL_FAILURE(CheckBystanders(500, "after vanishing peers"));
  EXPECT_TRUE(sub_.Ping());
}

TEST_P(BadInputTest, HalfClosedClientIsCleanedUp) {
  START_SERVER();
  ASSERT_NO_FATAL_FAILURE(SetUpBystanders());
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(c.Send("SUB bystander.> 2\r\nPUB bystander.x 10\r\nabc"));
  c.ShutdownWrite();
  EXPECT_TRUE(c.ExpectClosed(5s));
  ASSERT_NO_FATAL_FAILURE(CheckBystanders(100, "after half-close"));
}

// Thousands of connections that connect and then send nothing, or stop in
// the middle of a line or payload, hold only their own slot.
TEST_P(BadInputTest, ThousandsOfHalfOpenConnections) {
  const long fd_limit = RaiseFdLimit();
  if (fd_limit > 0 && fd_limit < 5000) GTEST_SKIP() << "open-file limit " << fd_limit << " is too low";
  START_SERVER();
  ASSERT_NO_FATAL_FAILURE(SetUpBystanders());

  constexpr int kIdle = 2100;
  const std::vector<std::string> partials = {
      "",                                                      // silent
      "CONN",                                                  // unfinished op name
      "SUB bystander.x",                                       // unfinished SUB arguments
      "PUB bystander.x 10\r\nabc",                             // payload never completes
      "CONNECT {\"verbose\":false}\r\nPUB bystander.x 5\r\n",  // size line, no payload
      "HPUB bystander.x 12 20\r\nNATS/1.0\r\n",                // headers cut off
  };
  std::vector<RawClient> idle(kIdle);
  ConnectOptions no_info;
  no_info.read_info = false;
  no_info.timeout = 10s;
  for (int i = 0; i < kIdle; ++i) {
    ASSERT_TRUE(idle[i].Connect(port(), no_info)) << "connection " << i;
    const std::string& text = partials[i % partials.size()];
    if (!text.empty()) {
      ASSERT_TRUE(idle[i].Send(text)) << "connection " << i;
    }
    if (i % 500 == 499) {
      ASSERT_NO_FATAL_FAILURE(CheckBystanders(100, "while opening " + std::to_string(i + 1)));
    }
  }
  ASSERT_NO_FATAL_FAILURE(CheckBystanders(2000, "with all half-open connections"));

  // New clients are still served.
  RawClient fresh;
  ASSERT_TRUE(Connect(fresh));
  ASSERT_TRUE(fresh.Send("SUB bystander.> 5\r\n" + Pub("bystander.y", "new")));
  EXPECT_TRUE(fresh.ExpectMsg("bystander.y", "5", "", "new"));
  EXPECT_TRUE(sub_.ExpectMsg("bystander.y", "1", "", "new"));

  // Half of them vanish at once; nothing partial leaks to the bystanders.
  for (int i = 0; i < kIdle; i += 2) idle[i].Abort();
  ASSERT_NO_FATAL_FAILURE(CheckBystanders(500, "after resetting half"));
  idle.clear();
  ASSERT_NO_FATAL_FAILURE(CheckBystanders(500, "after closing all"));
}

TERN_INSTANTIATE_FLAVORS(BadInputTest);

}  // namespace
}  // namespace tern::testing
