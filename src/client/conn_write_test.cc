// The send side (conn_write.cc) against a real server: streams that make the
// writer step aside still deliver everything, the tail included, without a
// Flush; a lone publish after a stream goes out promptly; and writes from
// several publishing threads never interleave inside a message.
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client_fixture.h"

namespace tern::testing {
namespace {

Options RoomyOptions(Options o) {
  o.sub_pending_msgs = 1 << 21;
  o.sub_pending_bytes = 1ull << 30;
  return o;
}

TEST_F(ClientTest, StreamTailArrivesWithoutFlush) {
  auto sub_conn = Connect(RoomyOptions(TestOptions()));
  std::atomic<int> got{0};
  auto sub = sub_conn->Subscribe("flood.tail", [&](const Message&) { got++; });
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(sub_conn->Flush(2s).ok());
  auto pub = Connect();
  // Far more than one self-send of bytes, and an odd count, so the last
  // partial buffer is left for the writer's flood-mode tick.
  constexpr int kMsgs = 200001;
  for (int i = 0; i < kMsgs; ++i) ASSERT_TRUE(pub->Publish("flood.tail", "0123456789abcdef").ok());
  EXPECT_TRUE(WaitFor([&] { return got.load() == kMsgs; }, 20s)) << got.load() << " of " << kMsgs;
  EXPECT_EQ(sub->dropped(), 0u);

  // A lone publish after the stream is not held back for long.
  std::this_thread::sleep_for(20ms);
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(pub->Publish("flood.tail", "late").ok());
  EXPECT_TRUE(WaitFor([&] { return got.load() == kMsgs + 1; }, 5s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

TEST_F(ClientTest, BackToBackPublishesAfterASendAllArrive) {
  // Publishes just after a send emptied the buffer look like a stream
  // (conn_write.cc, kStreamGap); they must still go out without a Flush.
  auto sub_conn = Connect();
  std::atomic<int> got{0};
  auto sub = sub_conn->Subscribe("pairs", [&](const Message&) { got++; });
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(sub_conn->Flush(2s).ok());
  auto pub = Connect();
  for (int round = 0; round < 50; ++round) {
    ASSERT_TRUE(pub->Publish("pairs", "a").ok());
    ASSERT_TRUE(pub->Publish("pairs", "b").ok());
    ASSERT_TRUE(pub->Publish("pairs", "c").ok());
    ASSERT_TRUE(WaitFor([&] { return got.load() == 3 * (round + 1); }, 2s)) << "round " << round;
  }
}

TEST_F(ClientTest, PublishingThreadsKeepTheirOwnOrder) {
  auto sub_conn = Connect(RoomyOptions(TestOptions()));
  constexpr int kThreads = 4, kEach = 40000;
  std::mutex mu;
  std::vector<int> next(kThreads, 0);
  std::atomic<int> bad{0}, got{0};
  auto sub = sub_conn->Subscribe("order.*", [&](const Message& m) {
    int t = m.subject.back() - '0';
    int seq = std::stoi(m.data);
    std::lock_guard<std::mutex> lock(mu);
    if (t < 0 || t >= kThreads || seq != next[t]) bad++;
    if (t >= 0 && t < kThreads) next[t] = seq + 1;
    got++;
  });
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(sub_conn->Flush(2s).ok());
  auto pub = Connect();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string subject = "order." + std::to_string(t);
      for (int i = 0; i < kEach; ++i) (void)pub->Publish(subject, std::to_string(i));
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_TRUE(WaitFor([&] { return got.load() == kThreads * kEach; }, 20s)) << got.load();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(pub->stats().out_msgs, static_cast<uint64_t>(kThreads * kEach));
}

}  // namespace
}  // namespace tern::testing
