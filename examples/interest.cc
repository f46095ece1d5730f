// interest query: ask the server which subjects have a subscriber right now.
// tern-server answers on _TERN.INTEREST; nats-server has no such service, so
// there the query comes back as "no responders" (and this example says so).
#include "example_util.h"

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  std::string url = example::ServerUrl(argc, argv);
  auto asker = example::MustConnect(url, "asker");
  auto listener = example::MustConnect(url, "listener");
  example::Check(listener->Subscribe("alerts.fire", [](const tern::Message&) {}).status(), "sub");
  example::Check(listener->Subscribe("metrics.*", [](const tern::Message&) {}).status(), "sub");
  example::Check(listener->Flush(2s), "flush");

  auto r = tern::QueryInterest(*asker, {"alerts.fire", "alerts.flood", "metrics.cpu"}, 2s);
  if (r.code() == tern::Code::kNoResponders) {
    std::printf("this server does not answer %s (not tern-server): %s\n", std::string(tern::kInterestSubject).c_str(),
                r.status().ToString().c_str());
    std::printf("ok\n");
    return 0;
  }
  example::Check(r.status(), "interest query");
  std::printf("subjects with interest:");
  for (const auto& s : *r) std::printf(" %s", s.c_str());
  std::printf("\n");
  example::Check(*r == std::vector<std::string>{"alerts.fire", "metrics.cpu"}, "the subscribed subset");
  std::printf("ok\n");
  return 0;
}
