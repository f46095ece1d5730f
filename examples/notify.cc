// notify: fire-and-forget to exactly one member of a group. Two workers share
// the group "workers"; every job lands on one of them, never both.
#include <atomic>
#include <thread>

#include "example_util.h"

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  std::string url = example::ServerUrl(argc, argv);
  auto sender = example::MustConnect(url, "sender");
  auto w1 = example::MustConnect(url, "worker-1");
  auto w2 = example::MustConnect(url, "worker-2");

  std::atomic<int> n1{0}, n2{0};
  example::Check(tern::OnNotify(*w1, "jobs.resize", "workers", [&](const tern::Message&) { n1++; }).status(), "w1");
  example::Check(tern::OnNotify(*w2, "jobs.resize", "workers", [&](const tern::Message&) { n2++; }).status(), "w2");
  example::Check(w1->Flush(2s), "flush w1");
  example::Check(w2->Flush(2s), "flush w2");

  constexpr int kJobs = 20;
  for (int i = 0; i < kJobs; ++i)
    example::Check(tern::Notify(*sender, "jobs.resize", "image-" + std::to_string(i)), "notify");
  example::Check(sender->Flush(2s), "flush sender");
  for (int i = 0; i < 500 && n1 + n2 < kJobs; ++i) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(50ms);
  std::printf("worker-1 did %d jobs, worker-2 did %d jobs\n", n1.load(), n2.load());
  example::Check(n1 + n2 == kJobs, "every job handled exactly once");
  std::printf("ok\n");
  return 0;
}
