// libFuzzer target for proto/ws. The first byte picks what is fuzzed and
// how: the frame decoder in either role (with or without permessage-deflate,
// with small or default limits), the server handshake (under one of a few
// policies) or the client handshake, plus the deflate negotiation on the
// same bytes. For every input it checks that the outcome does not depend on
// how the bytes are split into reads, that what the decoder hands up obeys
// the RFC (UTF-8 text, limits, close codes), and that the messages it
// decoded, encoded again by the peer's encoder, decode to the same events.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "proto/ws/client_handshake.h"
#include "proto/ws/deflate_params.h"
#include "proto/ws/frame_decoder.h"
#include "proto/ws/frame_encoder.h"
#include "proto/ws/server_handshake.h"
#include "proto/utf8.h"

namespace {

using namespace tern::proto::ws;  // NOLINT: a fuzz target touching the whole codec

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant failed: %s\n", what);
    std::abort();
  }
}

struct Event {
  char kind;  // t text, b binary, i ping, o pong, c close
  std::string data;
  uint16_t code = 0;
  bool operator==(const Event&) const = default;
};

class Recorder : public FrameHandler {
 public:
  explicit Recorder(const DecoderLimits& limits) : limits_(limits) {}
  void OnData(Opcode type, std::string_view chunk, bool message_end) override {
    Check(!closed_, "data after close");
    Check(type == Opcode::kText || type == Opcode::kBinary, "data type");
    Check(!open_ || type_ == type, "type changed inside a message");
    open_ = true;
    type_ = type;
    partial_ += chunk;
    Check(limits_.max_message == 0 || partial_.size() <= limits_.max_message, "message over max_message");
    if (message_end) {
      if (type == Opcode::kText) Check(tern::proto::IsValidUtf8(partial_), "text not UTF-8");
      events.push_back({type == Opcode::kText ? 't' : 'b', std::move(partial_)});
      partial_.clear();
      open_ = false;
    }
  }
  void OnPing(std::string_view p) override {
    Check(p.size() <= kMaxControlPayload, "ping too long");
    events.push_back({'i', std::string(p)});
  }
  void OnPong(std::string_view p) override {
    Check(p.size() <= kMaxControlPayload, "pong too long");
    events.push_back({'o', std::string(p)});
  }
  void OnClose(uint16_t code, std::string_view reason) override {
    Check(!closed_, "two closes");
    Check(code == kCloseNoStatus || IsValidCloseCode(code), "close code");
    Check(tern::proto::IsValidUtf8(reason) && reason.size() <= kMaxControlPayload - 2, "close reason");
    closed_ = true;
    events.push_back({'c', std::string(reason), code});
  }

  std::vector<Event> events;

 private:
  DecoderLimits limits_;
  std::string partial_;
  Opcode type_ = Opcode::kText;
  bool open_ = false;
  bool closed_ = false;
};

struct DecoderSetup {
  Role role;
  DecoderLimits limits;
  std::optional<DeflateParams> deflate;
};

struct Outcome {
  std::vector<Event> events;
  uint16_t error = 0;
  bool closed = false;
  size_t consumed = 0;  // in all, when closed
  bool operator==(const Outcome&) const = default;
};

Outcome Decode(std::string_view input, const std::vector<size_t>& cuts, const DecoderSetup& setup) {
  FrameDecoder decoder(setup.role, setup.limits);
  if (setup.deflate) decoder.EnableDeflate(*setup.deflate);
  Recorder rec(setup.limits);
  Outcome out;
  size_t start = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    const size_t end = i < cuts.size() ? cuts[i] : input.size();
    // A private, mutable copy per chunk, scribbled over afterwards: a view
    // that outlived Feed() would change the recorded events.
    std::string chunk(input.substr(start, end - start));
    const DecodeResult r = decoder.Feed(chunk.data(), chunk.size(), rec);
    std::fill(chunk.begin(), chunk.end(), '\x5a');
    Check(r.consumed <= chunk.size(), "consumed beyond chunk");
    if (!r.ok()) {
      Check(!r.reason.empty(), "error without reason");
      Check(r.error == kCloseProtocolError || r.error == kCloseInvalidData || r.error == kCloseMessageTooBig,
            "unexpected error code");
      out.error = r.error;
      break;
    }
    out.consumed += r.consumed;
    if (r.closed) {
      out.closed = true;
      break;
    }
    Check(r.consumed == chunk.size(), "consumed less than chunk without error or close");
    if (i % 2 == 1) decoder.ShrinkIfIdle();
    start = end;
  }
  if (out.error != 0) out.consumed = 0;
  out.events = std::move(rec.events);
  return out;
}

// The events again, as the peer would send them; decodes to the same events.
void CheckReencoded(const Outcome& whole, const DecoderSetup& setup, uint32_t seed) {
  const Role sender = setup.role == Role::kServer ? Role::kClient : Role::kServer;
  std::optional<Deflater> deflater;
  if (setup.deflate) deflater.emplace(*setup.deflate, sender);
  uint32_t x = seed | 1;
  auto mask = [&]() -> std::optional<MaskKey> {
    if (sender == Role::kServer) return std::nullopt;
    x = x * 1664525u + 1013904223u;
    return MaskKey{static_cast<uint8_t>(x >> 24), static_cast<uint8_t>(x >> 16), static_cast<uint8_t>(x >> 8),
                   static_cast<uint8_t>(x)};
  };
  std::string wire;
  for (const Event& e : whole.events) {
    switch (e.kind) {
      case 't':
      case 'b': {
        const Opcode op = e.kind == 't' ? Opcode::kText : Opcode::kBinary;
        if (deflater && (x & 2) != 0) {
          Check(AppendCompressedMessage(wire, op, e.data, *deflater, mask()), "compress failed");
        } else if (e.data.size() > 1) {
          // Two fragments, cut anywhere, even inside a code point.
          const size_t cut = x % e.data.size();
          AppendFrame(wire, op, std::string_view(e.data).substr(0, cut), false, mask());
          AppendFrame(wire, Opcode::kContinuation, std::string_view(e.data).substr(cut), true, mask());
        } else {
          AppendFrame(wire, op, e.data, true, mask());
        }
        x = x * 1664525u + 1013904223u;
        break;
      }
      case 'i':
        AppendPing(wire, e.data, mask());
        break;
      case 'o':
        AppendPong(wire, e.data, mask());
        break;
      case 'c':
        AppendClose(wire, e.code, e.data, mask());
        break;
    }
  }
  DecoderSetup roomy = setup;
  roomy.limits.max_frame_payload = UINT64_MAX >> 1;
  const Outcome again = Decode(wire, {}, roomy);
  Check(again.error == 0, "re-encoded events fail to decode");
  Check(again.events == whole.events, "re-encoded events differ");
}

void FuzzDecoder(uint8_t flags, uint8_t a, uint8_t b, std::string_view input) {
  DecoderSetup setup;
  setup.role = (flags & 1) != 0 ? Role::kClient : Role::kServer;
  if ((flags & 2) != 0) {
    DeflateParams p;
    p.server_no_context_takeover = (flags & 4) != 0;
    p.client_no_context_takeover = (flags & 4) != 0;
    p.server_max_window_bits = static_cast<uint8_t>(9 + a % 7);
    p.client_max_window_bits = static_cast<uint8_t>(9 + b % 7);
    setup.deflate = p;
  }
  if ((flags & 8) != 0) {
    // Small enough for the fuzzer to reach.
    setup.limits.max_frame_payload = a;
    setup.limits.max_message = b == 0 ? 0 : b * 4u;
  }
  const Outcome whole = Decode(input, {}, setup);

  std::vector<std::vector<size_t>> splits;
  if (input.size() <= 64) {
    for (size_t i = 1; i < input.size(); ++i) splits.push_back({i});
  } else {
    uint32_t x = a * 2654435761u + b + static_cast<uint32_t>(input.size());
    for (int k = 0; k < 8; ++k) {
      x = x * 1664525u + 1013904223u;
      splits.push_back({1 + x % (input.size() - 1)});
    }
  }
  std::vector<size_t> bytes;
  for (size_t i = 1; i < input.size(); ++i) bytes.push_back(i);
  splits.push_back(std::move(bytes));
  for (const auto& cuts : splits) Check(Decode(input, cuts, setup) == whole, "outcome depends on split");

  CheckReencoded(whole, setup, a * 31u + b);
}

struct HandshakeOutcome {
  HandshakeStatus status = HandshakeStatus::kNeedMore;
  size_t consumed = 0;
  std::string response;  // server: the bytes to send; client: the error
  std::string subprotocol;
  std::optional<DeflateParams> deflate;
  bool operator==(const HandshakeOutcome&) const = default;
};

template <typename Handshake>
HandshakeOutcome FeedHandshake(Handshake& hs, std::string_view input, size_t cut) {
  HandshakeOutcome out;
  const std::string_view parts[2] = {input.substr(0, cut), input.substr(cut)};
  for (std::string_view part : parts) {
    const std::string chunk(part);
    const HandshakeResult r = hs.Feed(chunk);
    Check(r.consumed <= chunk.size(), "handshake consumed beyond chunk");
    out.status = r.status;
    out.consumed += r.consumed;
    if (r.status != HandshakeStatus::kNeedMore) break;
    Check(r.consumed == chunk.size(), "handshake kept bytes while needing more");
  }
  out.subprotocol = hs.subprotocol();
  out.deflate = hs.deflate();
  return out;
}

void FuzzServerHandshake(uint8_t flags, std::string_view input) {
  ServerPolicy policy;
  policy.max_request_size = (flags & 1) != 0 ? 256 : 8192;
  if ((flags & 2) != 0) policy.subprotocols = {"mqtt", "nats"};
  policy.require_subprotocol = (flags & 4) != 0;
  if ((flags & 8) != 0) policy.path = "/mqtt";
  policy.same_origin = (flags & 16) != 0;
  if ((flags & 32) != 0) policy.allowed_origins = {"https://a.example", "http://localhost:8080"};
  policy.allow_compression = (flags & 64) != 0;
  policy.deflate.server_no_context_takeover = (flags & 128) != 0;
  auto run = [&](size_t cut) {
    ServerHandshake hs(&policy);
    HandshakeOutcome out = FeedHandshake(hs, input, cut);
    out.response = hs.response();
    if (out.status == HandshakeStatus::kDone) {
      Check(out.response.rfind("HTTP/1.1 101 ", 0) == 0, "done without 101");
    } else if (out.status == HandshakeStatus::kError) {
      Check(hs.status_code() >= 400 && hs.status_code() < 500, "error status");
      Check(out.response.find("\r\nConnection: close\r\n") != std::string::npos, "error response keeps connection");
    }
    Check(out.status != HandshakeStatus::kDone || policy.allow_compression || !out.deflate, "deflate not allowed");
    return out;
  };
  const HandshakeOutcome whole = run(0);
  for (size_t cut = 1; cut < input.size(); cut += 1 + input.size() / 64) {
    Check(run(cut) == whole, "server handshake depends on split");
  }
}

void FuzzClientHandshake(uint8_t flags, std::string_view input) {
  ClientOptions options;
  options.host = "localhost:8080";
  options.path = "/mqtt";
  if ((flags & 1) != 0) options.subprotocols = {"mqtt"};
  options.compression = (flags & 2) != 0;
  options.deflate.client_max_window_bits = (flags & 4) != 0 ? 10 : 15;
  options.max_response_size = (flags & 8) != 0 ? 256 : 8192;
  const std::array<uint8_t, 16> nonce{};
  auto run = [&](size_t cut) {
    auto hs = ClientHandshake::Create(options, nonce);
    Check(hs.ok(), "client options refused");
    HandshakeOutcome out = FeedHandshake(*hs, input, cut);
    out.response = std::string(hs->error());
    Check(out.status != HandshakeStatus::kError || !out.response.empty(), "client error without reason");
    return out;
  };
  const HandshakeOutcome whole = run(0);
  for (size_t cut = 1; cut < input.size(); cut += 1 + input.size() / 64) {
    Check(run(cut) == whole, "client handshake depends on split");
  }
}

// Whatever the server accepts from any offer, our client (which offers
// everything) reads back as the same agreement.
void FuzzNegotiation(std::string_view input) {
  std::string response;
  const auto agreed = NegotiateDeflate(input, DeflateParams{}, &response);
  std::string_view error;
  (void)AcceptDeflateResponse(input, DeflateParams{}, &error);
  if (!agreed || agreed->client_max_window_bits < 9) return;
  const auto seen = AcceptDeflateResponse(response, DeflateParams{}, &error);
  Check(seen.has_value(), "client refuses the server's response");
  Check(*seen == *agreed, "client and server disagree");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const uint8_t mode = data[0];
  const uint8_t a = data[1];
  const uint8_t b = data[2];
  const std::string_view input(reinterpret_cast<const char*>(data) + 3, size - 3);
  switch (mode >> 6) {
    case 0:
    case 1:
      FuzzDecoder(mode, a, b, input);
      break;
    case 2:
      FuzzServerHandshake(a, input);
      break;
    case 3:
      FuzzClientHandshake(a, input);
      FuzzNegotiation(input);
      break;
  }
  return 0;
}
