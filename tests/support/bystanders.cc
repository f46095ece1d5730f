#include "bystanders.h"

namespace tern::testing {

using namespace std::chrono_literals;

::testing::AssertionResult Bystanders::Start(const Target& target) {
  if (auto r = sub_.ConnectAndHandshake(target); !r) return r << " (bystander subscriber)";
  if (auto r = pub_.ConnectAndHandshake(target); !r) return r << " (bystander publisher)";
  if (auto r = sub_.Send("SUB " + subject_ + " 1\r\n"); !r) return r;
  return sub_.Ping();
}

::testing::AssertionResult Bystanders::Exchange(int n) {
  std::string batch;
  for (int i = 0; i < n; ++i) batch += Pub(subject_, std::to_string(next_ + i));
  if (auto r = pub_.Send(batch, 10s); !r) return r << " (bystander publisher)";
  for (int i = 0; i < n; ++i) {
    if (auto r = sub_.ExpectMsg(subject_, "1", "", std::to_string(next_ + i), 5s); !r) {
      return r << " (bystander message " << next_ + i << ")";
    }
  }
  next_ += n;
  return ::testing::AssertionSuccess();
}

}  // namespace tern::testing
