// RawClient::ExpectMatch, on its own because of <regex>: GCC 12 reports
// -Wmaybe-uninitialized inside libstdc++'s regex automaton when built with
// -fsanitize=address,undefined, a false positive that -Werror would turn into
// a broken sanitizer build. CMake turns that one warning off for this file.
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
