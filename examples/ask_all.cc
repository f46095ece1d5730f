// ask-all, first wins: every warehouse hears the question, those that have
// the item answer, the first answer is taken and the rest dropped. Nobody
// having it is a timeout; nobody listening at all is "no responders".
#include <set>
#include <thread>
#include <vector>

#include "example_util.h"

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  std::string url = example::ServerUrl(argc, argv);
  auto shop = example::MustConnect(url, "shop");
  // Declared before the connections so it outlives their handler threads.
  const std::vector<std::set<std::string>> stock = {{"lamp"}, {"lamp", "chair"}, {"desk"}};
  std::vector<std::unique_ptr<tern::Connection>> warehouses;
  for (size_t i = 0; i < stock.size(); ++i) {
    warehouses.push_back(example::MustConnect(url, "warehouse-" + std::to_string(i)));
    example::Check(tern::Answer(*warehouses.back(), "stock.find",
                                [i, &stock](const tern::Message& m) -> std::optional<std::string> {
                                  if (stock[i].count(m.data) == 0) return std::nullopt;
                                  std::this_thread::sleep_for(std::chrono::milliseconds(10 * i));
                                  return "warehouse-" + std::to_string(i);
                                })
                       .status(),
                   "answer");
    example::Check(warehouses.back()->Flush(2s), "flush");
  }
  for (const char* item : {"lamp", "chair", "desk"}) {
    auto r = tern::AskAll(*shop, "stock.find", item, 2s);
    example::Check(r.status(), std::string("ask for ") + item);
    std::printf("%s: first answer from %s\n", item, r->data.c_str());
  }
  auto missing = tern::AskAll(*shop, "stock.find", "piano", 200ms);
  std::printf("piano: %s\n", missing.status().ToString().c_str());
  example::Check(missing.code() == tern::Code::kTimeout, "nobody has a piano: timeout");
  auto nobody = tern::AskAll(*shop, "stock.count", "lamp", 2s);
  std::printf("stock.count: %s\n", nobody.status().ToString().c_str());
  example::Check(nobody.code() == tern::Code::kNoResponders, "nobody listens on stock.count");
  std::printf("ok\n");
  return 0;
}
