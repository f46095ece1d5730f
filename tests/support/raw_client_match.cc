// RawClient::ExpectMatch, on its own so that only this file pays for <regex>
// (and GCC's sanitizer-build warnings inside it: see cmake/Sanitizers.cmake).
#include <regex>

#include "raw_client.h"

namespace tern::testing {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

AssertionResult RawClient::ExpectMatch(const std::string& regex, Millis timeout) {
  auto line = NextLine(std::chrono::steady_clock::now() + timeout, regex != "PING");
  if (!line) return AssertionFailure() << "expected /" << regex << "/ but " << last_error_;
  if (!std::regex_match(*line, std::regex(regex))) {
    return AssertionFailure() << "expected /" << regex << "/ got '" << Show(*line) << "'";
  }
  return AssertionSuccess();
}

}  // namespace tern::testing
