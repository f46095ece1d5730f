#include "proto/nats/headers.h"

namespace tern::proto::nats {

bool IsValidHeader(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name) {
    if (c == ':' || c == ' ' || c == '\t' || c == '\r' || c == '\n') return false;
  }
  for (char c : value) {
    if (c == '\r' || c == '\n') return false;
  }
  return true;
}

void AppendHeader(std::string& out, std::string_view name, std::string_view value) {
  if (out.empty()) out.append("NATS/1.0\r\n");
  out.append(name).append(": ").append(value).append("\r\n");
}

}  // namespace tern::proto::nats
