#include "tern/interest.h"

#include <nlohmann/json.hpp>

namespace tern {

std::string EncodeSubjectList(const std::vector<std::string>& subjects) { return nlohmann::json(subjects).dump(); }

Result<std::vector<std::string>> DecodeSubjectList(std::string_view json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return Status(Code::kProtocolError, "expected a JSON array of subjects");
  std::vector<std::string> out;
  for (const auto& v : j) {
    if (!v.is_string()) return Status(Code::kProtocolError, "expected a JSON array of subjects");
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<std::vector<std::string>> QueryInterest(Connection& conn, const std::vector<std::string>& subjects,
                                               std::chrono::milliseconds timeout) {
  Result<Message> reply = conn.Request(kInterestSubject, EncodeSubjectList(subjects), timeout);
  if (!reply.ok()) return reply.status();
  return DecodeSubjectList(reply->data);
}

}  // namespace tern
