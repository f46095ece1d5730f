#include "ws_client.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <random>

namespace tern::loadgen {
namespace {

constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string Base64(const unsigned char* data, size_t len) {
  std::string out(4 * ((len + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(len));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] + 32) : b[i];
    if (x != y) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

uint64_t Seed() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device() ^ 0x9e3779b97f4a7c15ULL;
}

}  // namespace

WsMasks::WsMasks() : state_(Seed() | 1) {}

std::string WsNewKey() {
  thread_local WsMasks random;
  unsigned char raw[16];
  for (size_t i = 0; i < sizeof raw; i += 4) {
    uint32_t r = random.Next();
    std::memcpy(raw + i, &r, 4);
  }
  return Base64(raw, sizeof raw);
}

std::string WsAcceptFor(std::string_view key) {
  std::string text(key);
  text += kAcceptGuid;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha1(), nullptr);
  return Base64(digest, len);
}

std::string WsUpgradeRequest(std::string_view host, int port, std::string_view path, std::string_view key) {
  return fmt::format(
      "GET {} HTTP/1.1\r\nHost: {}:{}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\n\r\n",
      path, host, port, key);
}

long WsCheckUpgrade(std::string_view data, std::string_view key, std::string* error) {
  size_t end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (data.size() > 16 * 1024) {
      *error = "WebSocket upgrade: response head too long";
      return -1;
    }
    return 0;
  }
  std::string_view head = data.substr(0, end);
  size_t line_end = head.find("\r\n");
  std::string_view status = head.substr(0, line_end);
  if (status.size() < 12 || status.substr(0, 5) != "HTTP/" || status.substr(8, 4) != " 101") {
    *error = "WebSocket upgrade refused: " + std::string(status);
    return -1;
  }
  std::string want = WsAcceptFor(key);
  bool accepted = false;
  size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t next = head.find("\r\n", pos);
    std::string_view line = head.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
    pos = next == std::string_view::npos ? head.size() : next + 2;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = Trim(line.substr(0, colon));
    std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsIgnoreCase(name, "Sec-WebSocket-Accept")) accepted = value == want;
    if (EqualsIgnoreCase(name, "Sec-WebSocket-Extensions") && !value.empty()) {
      *error = "WebSocket upgrade: server agreed to an extension not offered: " + std::string(value);
      return -1;
    }
  }
  if (!accepted) {
    *error = "WebSocket upgrade: missing or wrong Sec-WebSocket-Accept";
    return -1;
  }
  return static_cast<long>(end + 4);
}

void WsAppendFrame(std::string& out, uint8_t opcode, std::string_view data, uint32_t mask) {
  uint8_t head[14];
  size_t n = 0;
  head[n++] = static_cast<uint8_t>(0x80 | opcode);
  const uint64_t len = data.size();
  if (len < 126) {
    head[n++] = static_cast<uint8_t>(0x80 | len);
  } else if (len <= 0xFFFF) {
    head[n++] = 0x80 | 126;
    head[n++] = static_cast<uint8_t>(len >> 8);
    head[n++] = static_cast<uint8_t>(len);
  } else {
    head[n++] = 0x80 | 127;
    for (int shift = 56; shift >= 0; shift -= 8) head[n++] = static_cast<uint8_t>(len >> shift);
  }
  std::memcpy(head + n, &mask, 4);  // the key's bytes in memory order are the wire order
  n += 4;
  size_t at = out.size();
  out.resize(at + n + data.size());
  char* dst = out.data() + at;
  std::memcpy(dst, head, n);
  dst += n;
  // Eight bytes at a time with the key repeated: payload byte i is XORed
  // with key byte i % 4, and 8 is a multiple of 4.
  const uint64_t mask8 = (static_cast<uint64_t>(mask) << 32) | mask;
  const char* src = data.data();
  size_t i = 0;
  for (; i + 8 <= data.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, src + i, 8);
    word ^= mask8;
    std::memcpy(dst + i, &word, 8);
  }
  const auto* key = reinterpret_cast<const uint8_t*>(&mask);
  for (; i < data.size(); ++i) dst[i] = static_cast<char>(src[i] ^ key[i % 4]);
}

WsUnframer::Span WsUnframer::Unframe(char* buf, size_t kept, size_t end) {
  size_t begin = 0;  // joined NATS data is buf[begin, joined)
  size_t joined = kept;
  size_t pos = kept;  // next raw byte
  while (pos < end && error_.empty()) {
    switch (state_) {
      case State::kHead:
        while (pos < end && head_have_ < head_need_) {
          head_[head_have_++] = static_cast<uint8_t>(buf[pos++]);
          if (head_have_ == 2) {
            if (head_[1] & 0x80) {
              error_ = "WebSocket: masked frame from the server";
              break;
            }
            uint8_t len7 = head_[1] & 0x7F;
            head_need_ = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0);
          }
        }
        if (error_.empty() && head_have_ == head_need_) OnHeader();
        break;
      case State::kData: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(left_, end - pos));
        if (pos != joined) {
          size_t gap = pos - joined;
          size_t before = joined - begin;
          if (before <= n) {
            std::memmove(buf + begin + gap, buf + begin, before);
            begin += gap;
            joined = pos + n;
          } else {
            std::memmove(buf + joined, buf + pos, n);
            joined += n;
          }
        } else {
          joined += n;
        }
        pos += n;
        left_ -= n;
        if (left_ == 0) state_ = State::kHead;
        break;
      }
      case State::kControl: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(left_, end - pos));
        control_.append(buf + pos, n);
        pos += n;
        left_ -= n;
        if (left_ == 0) OnControl();
        break;
      }
    }
  }
  return Span{begin, joined};
}

void WsUnframer::OnHeader() {
  opcode_ = head_[0] & 0x0F;
  if (head_[0] & 0x70) {
    error_ = "WebSocket: reserved bits set without an extension";
    return;
  }
  uint64_t len = head_[1] & 0x7F;
  if (len == 126) {
    len = (static_cast<uint64_t>(head_[2]) << 8) | head_[3];
  } else if (len == 127) {
    len = 0;
    for (int i = 2; i < 10; ++i) len = (len << 8) | head_[i];
  }
  head_have_ = 0;
  head_need_ = 2;
  left_ = len;
  if (opcode_ == 0 || opcode_ == kWsText || opcode_ == kWsBinary) {
    state_ = len == 0 ? State::kHead : State::kData;
    return;
  }
  if (opcode_ < kWsClose || len > 125 || (head_[0] & 0x80) == 0) {
    error_ = fmt::format("WebSocket: bad frame (opcode {}, length {})", opcode_, len);
    return;
  }
  control_.clear();
  state_ = State::kControl;
  if (len == 0) OnControl();
}

void WsUnframer::OnControl() {
  state_ = State::kHead;
  if (opcode_ == kWsPing) {
    pings_.push_back(control_);
  } else if (opcode_ == kWsClose) {
    close_received_ = true;
  }
  // A pong needs nothing: we never ping.
}

}  // namespace tern::loadgen
