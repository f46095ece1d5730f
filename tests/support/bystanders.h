// A subscriber and a publisher that keep exchanging numbered messages while
// a test abuses the server next to them: every message must arrive, in
// order, however many bad clients come and go.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "raw_client.h"
#include "target.h"

namespace tern::testing {

class Bystanders {
 public:
  // Pairs on one server need subjects of their own, or each subscriber
  // also sees the other pair's numbers.
  explicit Bystanders(std::string subject = "bystander") : subject_(std::move(subject)) {}

  // Connects both (CONNECT, PING) through `target` and subscribes.
  ::testing::AssertionResult Start(const Target& target);
  // n messages from the publisher, each received in order within 5 s.
  ::testing::AssertionResult Exchange(int n);

 private:
  std::string subject_;
  RawClient sub_, pub_;
  int next_ = 0;
};

}  // namespace tern::testing
