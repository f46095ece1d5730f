// The basics: publish/subscribe, a queue group, request/reply and a channel.
//   example_quickstart [nats://127.0.0.1:4222]
#include <atomic>
#include <thread>

#include "example_util.h"

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  auto conn = example::MustConnect(example::ServerUrl(argc, argv), "quickstart");

  // A callback subscription: handlers run on the dispatch pool.
  std::atomic<int> greetings{0};
  auto sub = conn->Subscribe("greet.*", [&](const tern::Message& m) {
    std::printf("got %s: %s\n", m.subject.c_str(), m.data.c_str());
    greetings++;
  });
  example::Check(sub.status(), "subscribe");

  // A service answering requests.
  auto svc = conn->Subscribe("time.now", [&](const tern::Message& m) { (void)conn->Publish(m.reply, "12:00"); });
  example::Check(svc.status(), "serve");

  // A channel: poll it from any thread instead of a callback.
  auto chan = conn->SubscribeChannel("events", 100);
  example::Check(chan.status(), "channel");

  example::Check(conn->Publish("greet.world", "hello"), "publish");
  example::Check(conn->Publish("events", "started"), "publish event");

  auto reply = conn->Request("time.now", "", 2s);
  example::Check(reply.status(), "request");
  std::printf("time.now answered %s\n", reply->data.c_str());

  auto event = chan->Next(2s);
  example::Check(event.status(), "channel next");
  std::printf("channel gave %s\n", event->data.c_str());

  example::Check(conn->Flush(2s), "flush");
  for (int i = 0; i < 200 && greetings == 0; ++i) std::this_thread::sleep_for(10ms);
  example::Check(greetings == 1, "one greeting handled");
  example::Check(conn->Drain(2s), "drain");
  std::printf("ok\n");
  return 0;
}
