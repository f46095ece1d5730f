#include "proto/ws/deflate_params.h"

#include <algorithm>
#include <vector>

#include "proto/ws/http_head.h"

namespace tern::proto::ws {
namespace {

constexpr std::string_view kName = "permessage-deflate";

// zlib refuses a 256-byte window for raw deflate (since 1.2.9), so a side
// that compresses with zlib can promise 9 at the smallest.
constexpr uint8_t kMinDeflateBits = 9;

struct Param {
  std::string_view name;
  std::string value;  // unquoted
  bool has_value = false;
};

struct Extension {
  std::string_view name;
  std::vector<Param> params;
};

// RFC 6455 section 9.1: extension-list = 1#extension, extension = token
// *( ";" token [ "=" ( token | quoted-string ) ] ), with blanks around the
// separators. False on a syntax error.
bool ParseExtensionList(std::string_view s, std::vector<Extension>* out) {
  size_t i = 0;
  auto skip_blanks = [&] {
    while (i < s.size() && IsBlank(s[i])) ++i;
  };
  auto token = [&]() -> std::string_view {
    const size_t b = i;
    while (i < s.size() && IsTokenChar(s[i])) ++i;
    return s.substr(b, i - b);
  };
  for (;;) {
    skip_blanks();
    if (i == s.size()) return true;
    if (s[i] == ',') {  // empty list elements are allowed by the #rule
      ++i;
      continue;
    }
    Extension ext;
    ext.name = token();
    if (ext.name.empty()) return false;
    for (;;) {
      skip_blanks();
      if (i == s.size() || s[i] == ',') break;
      if (s[i] != ';') return false;
      ++i;
      skip_blanks();
      Param p;
      p.name = token();
      if (p.name.empty()) return false;
      skip_blanks();
      if (i < s.size() && s[i] == '=') {
        ++i;
        skip_blanks();
        p.has_value = true;
        if (i < s.size() && s[i] == '"') {
          ++i;
          for (;;) {
            if (i == s.size()) return false;
            char c = s[i++];
            if (c == '"') break;
            if (c == '\\') {
              if (i == s.size()) return false;
              c = s[i++];
            }
            p.value += c;
          }
          // RFC 6455 9.1: a quoted value must still be a token once unquoted.
          if (!IsToken(p.value)) return false;
        } else {
          p.value = std::string(token());
          if (p.value.empty()) return false;
        }
      }
      ext.params.push_back(std::move(p));
    }
    out->push_back(std::move(ext));
  }
}

// "8".."15", no leading zero (RFC 7692 7.1.2: 1*DIGIT without leading 0).
bool ParseBits(const std::string& v, uint8_t* bits) {
  if (v.empty() || v.size() > 2 || v[0] == '0') return false;
  int n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  if (n < 8 || n > 15) return false;
  *bits = static_cast<uint8_t>(n);
  return true;
}

struct Seen {
  bool server_nct = false;
  bool client_nct = false;
  bool server_bits = false;
  bool client_bits = false;
  uint8_t server_bits_value = 15;
  std::optional<uint8_t> client_bits_value;
};

// Reads permessage-deflate's parameters; false on an unknown, repeated or
// malformed one. In an offer client_max_window_bits may come without a value
// ("I can limit my window"); in a response every window size has one.
bool ReadParams(const Extension& ext, bool response, Seen* seen) {
  for (const Param& p : ext.params) {
    if (EqualsIgnoreCase(p.name, "server_no_context_takeover")) {
      if (seen->server_nct || p.has_value) return false;
      seen->server_nct = true;
    } else if (EqualsIgnoreCase(p.name, "client_no_context_takeover")) {
      if (seen->client_nct || p.has_value) return false;
      seen->client_nct = true;
    } else if (EqualsIgnoreCase(p.name, "server_max_window_bits")) {
      if (seen->server_bits || !p.has_value || !ParseBits(p.value, &seen->server_bits_value)) return false;
      seen->server_bits = true;
    } else if (EqualsIgnoreCase(p.name, "client_max_window_bits")) {
      if (seen->client_bits) return false;
      seen->client_bits = true;
      if (p.has_value) {
        uint8_t bits;
        if (!ParseBits(p.value, &bits)) return false;
        seen->client_bits_value = bits;
      } else if (response) {
        return false;
      }
    } else {
      return false;
    }
  }
  return true;
}

uint8_t Clamp(uint8_t bits, uint8_t lo) { return std::clamp<uint8_t>(bits, lo, 15); }

void AppendBits(std::string& out, std::string_view name, uint8_t bits) {
  out += "; ";
  out += name;
  out += '=';
  out += std::to_string(bits);
}

}  // namespace

std::optional<DeflateParams> NegotiateDeflate(std::string_view offers, const DeflateParams& wanted,
                                              std::string* response) {
  std::vector<Extension> list;
  // A header that does not parse is treated as no offer: compression is
  // optional, so declining is kinder than refusing the connection.
  if (!ParseExtensionList(offers, &list)) return std::nullopt;
  for (const Extension& ext : list) {
    if (!EqualsIgnoreCase(ext.name, kName)) continue;
    Seen offer;
    if (!ReadParams(ext, /*response=*/false, &offer)) continue;
    DeflateParams agreed;
    const uint8_t own_bits = Clamp(wanted.server_max_window_bits, kMinDeflateBits);
    agreed.server_max_window_bits = offer.server_bits ? std::min(offer.server_bits_value, own_bits) : own_bits;
    if (agreed.server_max_window_bits < kMinDeflateBits) continue;  // the client asked for 8
    agreed.server_no_context_takeover = offer.server_nct || wanted.server_no_context_takeover;
    // The client's hint is binding on the client, so it applies either way.
    agreed.client_no_context_takeover = offer.client_nct || wanted.client_no_context_takeover;
    if (offer.client_bits) {
      // Never asks a client for 8: most clients compress with zlib, which
      // cannot; one that offered 8 itself keeps its own promise.
      agreed.client_max_window_bits =
          std::min(offer.client_bits_value.value_or(15), Clamp(wanted.client_max_window_bits, kMinDeflateBits));
    }

    std::string r(kName);
    if (agreed.server_no_context_takeover) r += "; server_no_context_takeover";
    if (agreed.client_no_context_takeover) r += "; client_no_context_takeover";
    if (offer.server_bits || agreed.server_max_window_bits < 15) {
      AppendBits(r, "server_max_window_bits", agreed.server_max_window_bits);
    }
    // Only when offered: a client that did not offer it may not support it.
    if (offer.client_bits && (offer.client_bits_value || agreed.client_max_window_bits < 15)) {
      AppendBits(r, "client_max_window_bits", agreed.client_max_window_bits);
    }
    *response = std::move(r);
    return agreed;
  }
  return std::nullopt;
}

std::string DeflateOffer(const DeflateParams& wanted) {
  std::string r(kName);
  if (wanted.server_no_context_takeover) r += "; server_no_context_takeover";
  if (wanted.client_no_context_takeover) r += "; client_no_context_takeover";
  if (wanted.server_max_window_bits < 15)
    AppendBits(r, "server_max_window_bits", Clamp(wanted.server_max_window_bits, 8));
  const uint8_t own_bits = Clamp(wanted.client_max_window_bits, kMinDeflateBits);
  if (own_bits < 15) {
    AppendBits(r, "client_max_window_bits", own_bits);
  } else {
    r += "; client_max_window_bits";
  }
  return r;
}

std::optional<DeflateParams> AcceptDeflateResponse(std::string_view response, const DeflateParams& wanted,
                                                   std::string_view* error) {
  std::vector<Extension> list;
  if (!ParseExtensionList(response, &list) || list.empty()) {
    *error = "malformed Sec-WebSocket-Extensions";
    return std::nullopt;
  }
  if (list.size() != 1 || !EqualsIgnoreCase(list[0].name, kName)) {
    *error = "server chose an extension that was not offered";
    return std::nullopt;
  }
  Seen got;
  if (!ReadParams(list[0], /*response=*/true, &got)) {
    *error = "invalid permessage-deflate parameters";
    return std::nullopt;
  }
  DeflateParams agreed;
  agreed.server_no_context_takeover = got.server_nct;
  agreed.client_no_context_takeover = got.client_nct || wanted.client_no_context_takeover;
  if (got.server_bits) {
    if (wanted.server_max_window_bits < 15 && got.server_bits_value > Clamp(wanted.server_max_window_bits, 8)) {
      *error = "server_max_window_bits larger than offered";
      return std::nullopt;
    }
    agreed.server_max_window_bits = got.server_bits_value;
  }
  const uint8_t own_bits = Clamp(wanted.client_max_window_bits, kMinDeflateBits);
  agreed.client_max_window_bits = own_bits;
  if (got.client_bits) {
    const uint8_t bits = *got.client_bits_value;
    if (bits > own_bits) {
      *error = "client_max_window_bits larger than offered";
      return std::nullopt;
    }
    if (bits < kMinDeflateBits) {
      *error = "client_max_window_bits=8 is not supported";
      return std::nullopt;
    }
    agreed.client_max_window_bits = bits;
  }
  return agreed;
}

}  // namespace tern::proto::ws
