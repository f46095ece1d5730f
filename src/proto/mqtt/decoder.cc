#include "proto/mqtt/decoder.h"

#include <algorithm>
#include <cstring>

#include "proto/mqtt/parse.h"
#include "proto/mqtt/reader.h"
#include "proto/mqtt/varint.h"

namespace tern::proto::mqtt {
namespace {

// A split buffer up to this size is kept for the next split packet; a larger
// one goes back to the heap as soon as its packet is done, so that one big
// message does not pin memory on a connection that then idles.
constexpr size_t kKeepCapacity = 256;

bool SentByClient(PacketType t) {
  switch (t) {
    case PacketType::kConnack:
    case PacketType::kSuback:
    case PacketType::kUnsuback:
    case PacketType::kPingresp:
      return false;
    default:
      return true;
  }
}

bool SentByServer(PacketType t) {
  switch (t) {
    case PacketType::kConnect:
    case PacketType::kSubscribe:
    case PacketType::kUnsubscribe:
    case PacketType::kPingreq:
      return false;
    default:
      return true;
  }
}

}  // namespace

Decoder::Decoder(DecoderOptions options)
    : max_packet_size_(options.max_packet_size),
      role_(options.role),
      version_(options.version),
      connected_(options.role == Role::kServer && options.version != Version::kUnknown) {}

bool Decoder::Fail(ReasonCode reason, std::string_view rule) {
  error_ = {reason, ErrorAction::kClose, Version::kUnknown, rule};
  // Before its CONNECT a server knows no version to answer in; 3.1.1 has no
  // DISCONNECT from servers, and a 3.1.1 client has none to send for errors.
  if (version_ == Version::kV5 && (role_ == Role::kClient || connected_)) {
    error_.action = ErrorAction::kSendDisconnect;
    error_.version = Version::kV5;
  }
  state_ = State::kFailed;
  return false;
}

bool Decoder::CheckFirstByte(uint8_t b) {
  const auto type = static_cast<PacketType>(b >> 4);
  const uint8_t flags = b & 0x0F;
  if (b >> 4 == 0) return Fail(ReasonCode::kMalformedPacket, "2.1.2: reserved packet type 0");
  if (role_ == Role::kServer) {
    if (!connected_ && type != PacketType::kConnect) {
      return Fail(ReasonCode::kProtocolError, "MQTT-3.1.0-1: first packet is not CONNECT");
    }
    if (connected_ && type == PacketType::kConnect) {
      return Fail(ReasonCode::kProtocolError, "MQTT-3.1.0-2: second CONNECT");
    }
    if (!SentByClient(type)) return Fail(ReasonCode::kProtocolError, "2.1.2: a packet only servers send");
  } else {
    if (version_ == Version::kUnknown) {
      return Fail(ReasonCode::kProtocolError, "client decoder without the version its CONNECT asked for");
    }
    if (!SentByServer(type)) return Fail(ReasonCode::kProtocolError, "2.1.2: a packet only clients send");
    if (type == PacketType::kDisconnect && version_ != Version::kV5) {
      return Fail(ReasonCode::kProtocolError, "3.14: DISCONNECT from a server before MQTT 5.0");
    }
  }
  if (type == PacketType::kAuth && version_ != Version::kV5) {
    return Fail(ReasonCode::kMalformedPacket, "2.1.2: packet type 15 is reserved before MQTT 5.0");
  }
  if (type == PacketType::kPublish) {
    if ((flags & kPublishQosMask) == kPublishQosMask) {
      return Fail(ReasonCode::kMalformedPacket, "MQTT-3.3.1-4: PUBLISH with QoS 3");
    }
  } else if (flags != RequiredFlags(type) && version_ != Version::kV31) {
    // 3.1 set QoS and DUP bits on PUBREL, SUBSCRIBE and UNSUBSCRIBE as it
    // pleased; mosquitto only checks these flags from 3.1.1 on.
    return Fail(ReasonCode::kMalformedPacket, "MQTT-2.2.2-2: invalid fixed header flags");
  }
  return true;
}

bool Decoder::CheckLength(uint8_t b, size_t header_size, uint32_t remaining) {
  if (header_size + remaining > max_packet_size_) {
    return Fail(ReasonCode::kPacketTooLarge, "3.2.2.3.6: packet larger than the Maximum Packet Size");
  }
  // Packets whose length is fixed are refused on the header, so a bogus
  // length costs no buffering.
  const auto type = static_cast<PacketType>(b >> 4);
  size_t fixed = SIZE_MAX;
  switch (type) {
    case PacketType::kPingreq:
    case PacketType::kPingresp:
      fixed = 0;
      break;
    case PacketType::kDisconnect:
      if (version_ != Version::kV5) fixed = 0;
      break;
    case PacketType::kConnack:
    case PacketType::kPuback:
    case PacketType::kPubrec:
    case PacketType::kPubrel:
    case PacketType::kPubcomp:
    case PacketType::kUnsuback:
      if (version_ != Version::kV5) fixed = 2;
      break;
    default:
      break;
  }
  if (fixed != SIZE_MAX && remaining != fixed) {
    return Fail(ReasonCode::kMalformedPacket, "2.1.4: Remaining Length wrong for a packet of fixed size");
  }
  return true;
}

int Decoder::ScanHeader(const uint8_t* p, size_t n, uint32_t* remaining) {
  if (n == 0) return 0;
  if (!CheckFirstByte(p[0])) return -1;
  const VarIntResult v = DecodeVarInt(p + 1, n - 1);
  if (v.status == VarIntStatus::kNeedMore) return 0;
  if (v.status == VarIntStatus::kMalformed) {
    Fail(ReasonCode::kMalformedPacket, "2.1.4: Remaining Length longer than four bytes");
    return -1;
  }
  if (!CheckLength(p[0], 1 + v.size, v.value)) return -1;
  *remaining = v.value;
  return 1 + v.size;
}

bool Decoder::DecodeBody(uint8_t b, std::string_view body, Packet* packet) {
  Fault fault;
  Reader r(body, &fault);
  const auto type = static_cast<PacketType>(b >> 4);
  const uint8_t flags = b & 0x0F;
  bool ok = false;
  switch (type) {
    case PacketType::kConnect: {
      ConnectStage stage;
      Connect& connect = packet->emplace<Connect>();
      if (ParseConnect(r, &stage, &connect)) {
        version_ = connect.version;
        connected_ = true;
        return true;
      }
      // A refused CONNECT is answered with a CONNACK where the spec asks for
      // one: any refusal in 5.0 (4.13.1), only the two return codes 3.1.1
      // requires there (MQTT-3.1.2-2, MQTT-3.1.3-9), since a 3.1.1 server
      // must otherwise close without one (MQTT-3.1.4-1).
      error_ = {fault.reason, ErrorAction::kClose, Version::kUnknown, fault.rule};
      const bool v311_code = fault.reason == ReasonCode::kUnsupportedProtocolVersion ||
                             fault.reason == ReasonCode::kClientIdentifierNotValid;
      if (stage.version == Version::kV5 || (stage.version != Version::kUnknown && v311_code)) {
        error_.action = ErrorAction::kSendConnack;
        error_.version = stage.version;
      } else if (stage.name_known && fault.reason == ReasonCode::kUnsupportedProtocolVersion) {
        error_.action = ErrorAction::kSendConnack;
        error_.version = Version::kV311;
      }
      state_ = State::kFailed;
      return false;
    }
    case PacketType::kConnack:
      ok = ParseConnack(r, version_, &packet->emplace<Connack>());
      break;
    case PacketType::kPublish:
      ok = ParsePublish(r, role_, version_, flags, &packet->emplace<Publish>());
      break;
    case PacketType::kPuback:
    case PacketType::kPubrec:
    case PacketType::kPubrel:
    case PacketType::kPubcomp:
      ok = ParsePubAck(r, version_, type, &packet->emplace<PubAck>());
      break;
    case PacketType::kSubscribe:
      ok = ParseSubscribe(r, version_, &packet->emplace<Subscribe>());
      break;
    case PacketType::kSuback:
      ok = ParseSuback(r, version_, &packet->emplace<Suback>());
      break;
    case PacketType::kUnsubscribe:
      ok = ParseUnsubscribe(r, version_, &packet->emplace<Unsubscribe>());
      break;
    case PacketType::kUnsuback:
      ok = ParseUnsuback(r, version_, &packet->emplace<Unsuback>());
      break;
    case PacketType::kPingreq:
      packet->emplace<PingReq>();
      ok = true;
      break;
    case PacketType::kPingresp:
      packet->emplace<PingResp>();
      ok = true;
      break;
    case PacketType::kDisconnect:
      ok = ParseDisconnect(r, role_, version_, &packet->emplace<Disconnect>());
      break;
    case PacketType::kAuth:
      ok = ParseAuth(r, &packet->emplace<Auth>());
      break;
  }
  return ok || Fail(fault.reason, fault.rule);
}

void Decoder::Gather(const char* p, size_t n) {
  const size_t want = partial_.size() + n;
  if (want > partial_.capacity()) {
    // Grow with what arrives, not with what the header declared: a peer that
    // declares a large packet and stops costs what it sent.
    partial_.reserve(std::min<size_t>(body_size_, std::max(want, 2 * partial_.capacity())));
  }
  partial_.append(p, n);
}

void Decoder::ReleasePartial() {
  partial_.clear();
  header_have_ = 0;
  if (partial_.capacity() > kKeepCapacity) std::string().swap(partial_);
}

void Decoder::ShrinkIfIdle() {
  if (state_ == State::kDelivered) {
    ReleasePartial();
    state_ = State::kHeader;
  }
  if (state_ == State::kHeader && header_have_ == 0) std::string().swap(partial_);
}

DecodeResult Decoder::Decode(std::string_view input, Packet* packet) {
  if (state_ == State::kFailed) return {DecodeStatus::kError, 0};
  if (state_ == State::kDelivered) {
    // The last packet came from the split buffer; its views die now.
    ReleasePartial();
    state_ = State::kHeader;
  }
  const auto* in = reinterpret_cast<const uint8_t*>(input.data());
  const size_t n = input.size();
  size_t pos = 0;
  if (state_ == State::kHeader) {
    uint32_t remaining = 0;
    int header_size = 0;
    if (header_have_ == 0) {
      header_size = ScanHeader(in, n, &remaining);
      if (header_size < 0) return {DecodeStatus::kError, 0};
      if (header_size == 0) {
        // At most four bytes: a fourth with its continuation bit set failed.
        if (n != 0) std::memcpy(header_, in, n);
        header_have_ = static_cast<uint8_t>(n);
        return {DecodeStatus::kNeedMore, n};
      }
      const auto hs = static_cast<size_t>(header_size);
      if (n - hs >= remaining) {
        // The common case: the whole packet is here, decoded where it lies.
        if (!DecodeBody(in[0], input.substr(hs, remaining), packet)) return {DecodeStatus::kError, 0};
        return {DecodeStatus::kPacket, hs + remaining};
      }
      std::memcpy(header_, in, hs);
      header_have_ = static_cast<uint8_t>(hs);
      pos = hs;
    } else {
      // The rest of a split header, a byte at a time: five at most.
      while (header_size == 0 && pos < n) {
        header_[header_have_++] = in[pos++];
        header_size = ScanHeader(header_, header_have_, &remaining);
        if (header_size < 0) return {DecodeStatus::kError, 0};
      }
      if (header_size == 0) return {DecodeStatus::kNeedMore, n};
    }
    body_size_ = remaining;
    state_ = State::kBody;
  }
  const size_t take = std::min<size_t>(body_size_ - partial_.size(), n - pos);
  if (take != 0) Gather(input.data() + pos, take);
  pos += take;
  if (partial_.size() < body_size_) return {DecodeStatus::kNeedMore, n};
  state_ = State::kDelivered;
  if (!DecodeBody(header_[0], partial_, packet)) return {DecodeStatus::kError, 0};
  return {DecodeStatus::kPacket, pos};
}

}  // namespace tern::proto::mqtt
