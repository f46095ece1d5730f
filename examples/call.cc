// call: a request to one member of a group, with a timeout. Shows the three
// outcomes: an answer, "no responders" (nobody serves the subject) and a
// timeout (someone serves it but too slowly).
#include <thread>

#include "example_util.h"

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  std::string url = example::ServerUrl(argc, argv);
  auto client = example::MustConnect(url, "client");
  auto server = example::MustConnect(url, "math-service");

  example::Check(tern::Serve(*server, "math.square", "math",
                             [](const tern::Message& m) {
                               long v = std::stol(m.data);
                               return std::to_string(v * v);
                             })
                     .status(),
                 "serve math.square");
  example::Check(tern::Serve(*server, "math.slow", "math",
                             [](const tern::Message&) {
                               std::this_thread::sleep_for(300ms);
                               return std::string("finally");
                             })
                     .status(),
                 "serve math.slow");
  example::Check(server->Flush(2s), "flush");

  auto r = tern::Call(*client, "math.square", "12", 2s);
  example::Check(r.status(), "call math.square");
  std::printf("12 squared is %s\n", r->data.c_str());
  example::Check(r->data == "144", "right answer");

  auto none = tern::Call(*client, "math.cube", "3", 2s);
  std::printf("math.cube: %s\n", none.status().ToString().c_str());
  example::Check(none.code() == tern::Code::kNoResponders, "no responders for an unserved subject");

  auto slow = tern::Call(*client, "math.slow", "", 50ms);
  std::printf("math.slow: %s\n", slow.status().ToString().c_str());
  example::Check(slow.code() == tern::Code::kTimeout, "timeout for a slow service");
  std::printf("ok\n");
  return 0;
}
