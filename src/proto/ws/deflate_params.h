// permessage-deflate negotiation (RFC 7692 section 7.1): the client offers,
// the server accepts one offer (or none) and says in its response which
// parameters apply; both sides then compress and inflate accordingly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tern::proto::ws {

// Both what one side asks for and what was agreed. Window bits are the
// base-2 log of the LZ77 window the named side's compressor may use (8..15).
struct DeflateParams {
  bool server_no_context_takeover = false;  // the server resets its compressor after each message
  bool client_no_context_takeover = false;  // the client resets its compressor after each message
  uint8_t server_max_window_bits = 15;
  uint8_t client_max_window_bits = 15;

  bool operator==(const DeflateParams&) const = default;
};

// Server side. `offers` is the Sec-WebSocket-Extensions value (several
// header lines joined with ", "); `wanted` is what the server asks for on
// top of what the client offers: no_context_takeover flags and window
// limits (which save memory per connection). The first permessage-deflate
// offer that is valid and that zlib can honour is accepted; offers with
// unknown, repeated or malformed parameters are declined, as the RFC
// requires. Returns the agreed parameters and sets *response to the
// extension to send back, or nullopt when every offer was declined.
std::optional<DeflateParams> NegotiateDeflate(std::string_view offers, const DeflateParams& wanted,
                                              std::string* response);

// Client side: the offer for the request, asking for `wanted`. It always
// says client_max_window_bits so a server may shrink the client's window.
std::string DeflateOffer(const DeflateParams& wanted);

// Client side: checks the server's Sec-WebSocket-Extensions against the
// offer made with `wanted`. On success returns the agreed parameters; on
// failure nullopt and *error says why (the client must then fail the
// connection).
std::optional<DeflateParams> AcceptDeflateResponse(std::string_view response, const DeflateParams& wanted,
                                                   std::string_view* error);

}  // namespace tern::proto::ws
