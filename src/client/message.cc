#include "tern/message.h"

#include <algorithm>
#include <charconv>

namespace tern {

void Headers::Set(std::string key, std::string value) {
  Remove(key);
  Add(std::move(key), std::move(value));
}

void Headers::Remove(std::string_view key) {
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.first == key; }),
                 entries_.end());
}

std::optional<std::string_view> Headers::Get(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.first == key) return std::string_view(e.second);
  }
  return std::nullopt;
}

std::vector<std::string_view> Headers::GetAll(std::string_view key) const {
  std::vector<std::string_view> out;
  for (const Entry& e : entries_) {
    if (e.first == key) out.emplace_back(e.second);
  }
  return out;
}

std::string Headers::Encode() const {
  if (entries_.empty()) return std::string();
  std::string out = "NATS/1.0\r\n";
  for (const Entry& e : entries_) {
    out.append(e.first).append(": ").append(e.second).append("\r\n");
  }
  out.append("\r\n");
  return out;
}

namespace {

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool Headers::Decode(std::string_view block, Headers* out, int* status, std::string* description) {
  constexpr std::string_view kVersion = "NATS/1.0";
  if (block.substr(0, kVersion.size()) != kVersion) return false;
  size_t eol = block.find("\r\n");
  if (eol == std::string_view::npos) return false;
  std::string_view first = TrimSpaces(block.substr(kVersion.size(), eol - kVersion.size()));
  if (!first.empty()) {
    // "503" or "503 No Responders"
    size_t sp = first.find(' ');
    std::string_view code = first.substr(0, sp);
    int value = 0;
    auto [ptr, ec] = std::from_chars(code.data(), code.data() + code.size(), value);
    if (ec != std::errc() || ptr != code.data() + code.size()) return false;
    if (status != nullptr) *status = value;
    if (description != nullptr && sp != std::string_view::npos) {
      *description = std::string(TrimSpaces(first.substr(sp + 1)));
    }
  }
  size_t pos = eol + 2;
  while (pos < block.size()) {
    size_t end = block.find("\r\n", pos);
    if (end == std::string_view::npos) end = block.size();
    std::string_view line = block.substr(pos, end - pos);
    pos = end + 2;
    if (line.empty()) continue;  // the blank line that ends the block
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    out->Add(std::string(TrimSpaces(line.substr(0, colon))), std::string(TrimSpaces(line.substr(colon + 1))));
  }
  return true;
}

}  // namespace tern
