// broadcast: every subscriber gets every message.
#include <atomic>
#include <thread>
#include <vector>

#include "example_util.h"

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  std::string url = example::ServerUrl(argc, argv);
  auto announcer = example::MustConnect(url, "announcer");
  std::vector<std::unique_ptr<tern::Connection>> screens;
  std::atomic<int> shown{0};
  for (int i = 0; i < 3; ++i) {
    screens.push_back(example::MustConnect(url, "screen-" + std::to_string(i)));
    example::Check(tern::OnBroadcast(*screens.back(), "lobby.announce",
                                     [i, &shown](const tern::Message& m) {
                                       std::printf("screen-%d shows: %s\n", i, m.data.c_str());
                                       shown++;
                                     })
                       .status(),
                   "listen");
    example::Check(screens.back()->Flush(2s), "flush");
  }
  example::Check(tern::Broadcast(*announcer, "lobby.announce", "doors open at 9"), "broadcast");
  for (int i = 0; i < 500 && shown < 3; ++i) std::this_thread::sleep_for(10ms);
  example::Check(shown == 3, "all three screens got it");
  std::printf("ok\n");
  return 0;
}
