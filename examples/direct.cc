// direct messages: send to one client by id and learn that its application
// took the message (the ack follows the handler), or that nobody with that id
// is listening, or that it did not ack in time.
#include <atomic>
#include <thread>

#include "example_util.h"

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  std::string url = example::ServerUrl(argc, argv);
  auto alice = example::MustConnect(url, "alice");
  tern::Options o;
  o.servers = {url};
  o.client_id = "bob";  // a stable id; by default it is random
  auto bob_conn = tern::Connection::Connect(o);
  example::Check(bob_conn.status(), "connect bob");
  auto& bob = *bob_conn.value();

  std::atomic<bool> busy{false};
  example::Check(tern::ListenDirect(bob,
                                    [&](const tern::Message& m) {
                                      std::printf(
                                          "bob got \"%s\" from %s\n", m.data.c_str(),
                                          std::string(m.headers.Get(tern::kDirectFromHeader).value_or("?")).c_str());
                                      while (busy) std::this_thread::sleep_for(1ms);
                                    })
                     .status(),
                 "listen");
  example::Check(bob.Flush(2s), "flush");

  tern::Status s = tern::SendDirect(*alice, "bob", "lunch at noon?", 2s);
  std::printf("to bob: %s\n", s.ToString().c_str());
  example::Check(s, "delivered and acknowledged");

  s = tern::SendDirect(*alice, "dave", "are you there?", 2s);
  std::printf("to dave: %s\n", s.ToString().c_str());
  example::Check(s.code() == tern::Code::kNoResponders, "nobody called dave");

  busy = true;
  s = tern::SendDirect(*alice, "bob", "urgent", 100ms);
  std::printf("to busy bob: %s\n", s.ToString().c_str());
  busy = false;
  example::Check(s.code() == tern::Code::kTimeout, "no ack in time");
  std::printf("ok\n");
  return 0;
}
