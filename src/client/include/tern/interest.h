// Interest query: which of these subjects have at least one subscriber now?
//
// Answered by the server itself on the system subject _TERN.INTEREST: the
// request payload is a JSON array of subjects, the reply the JSON array of
// the subset with interest (in request order). tern-server answers it; a
// server that does not (nats-server) gives kNoResponders.
//
// Thread-safety: may be called from any thread (it is a Request()).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "tern/connection.h"

namespace tern {

inline constexpr std::string_view kInterestSubject = "_TERN.INTEREST";

Result<std::vector<std::string>> QueryInterest(Connection& conn, const std::vector<std::string>& subjects,
                                               std::chrono::milliseconds timeout);

// The wire forms, shared with whoever answers (and with tests).
std::string EncodeSubjectList(const std::vector<std::string>& subjects);
Result<std::vector<std::string>> DecodeSubjectList(std::string_view json);

}  // namespace tern
