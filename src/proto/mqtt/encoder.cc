#include "proto/mqtt/encoder.h"

#include <type_traits>

#include "proto/mqtt/encode_properties.h"
#include "proto/mqtt/writer.h"

namespace tern::proto::mqtt {
namespace {

using encode_internal::HasProperties;
using encode_internal::Properties;

constexpr uint8_t First(PacketType type, uint8_t flags = 0) {
  return static_cast<uint8_t>(static_cast<uint8_t>(type) << 4 | flags);
}

// One packet: the body through a Counter for the Remaining Length, then
// the fixed header and the body through a Writer.
template <typename Body>
bool Emit(std::string& out, uint8_t first, const Body& body) {
  Counter c;
  body(c);
  if (!c.ok() || c.size() > kMaxVarInt) return false;
  out.push_back(static_cast<char>(first));
  AppendVarInt(out, static_cast<uint32_t>(c.size()));
  Writer w(out);
  body(w);
  return true;
}

template <typename Body>
size_t Size(const Body& body) {
  Counter c;
  body(c);
  if (!c.ok() || c.size() > kMaxVarInt) return 0;
  return 1 + VarIntSize(static_cast<uint32_t>(c.size())) + c.size();
}

// Each packet as a first byte and a body, for both sinks.
struct Encoding {
  Version v;

  uint8_t FirstByte(const Connect&) const { return First(PacketType::kConnect); }
  template <typename W>
  void Body(W& w, const Connect& p) const {
    const Version cv = p.version;
    w.String(cv == Version::kV31 ? kProtocolNameV31 : kProtocolName);
    w.U8(static_cast<uint8_t>(cv));
    uint8_t flags = p.clean_start ? kConnectCleanStartFlag : 0;
    if (p.will) {
      flags |= kConnectWillFlag | static_cast<uint8_t>(static_cast<uint8_t>(p.will->qos) << kConnectWillQosShift);
      if (p.will->retain) flags |= kConnectWillRetainFlag;
    }
    if (p.username) flags |= kConnectUsernameFlag;
    if (p.password) flags |= kConnectPasswordFlag;
    w.U8(flags);
    w.U16(p.keep_alive);
    if (cv == Version::kV5) Properties(w, p.properties);
    w.String(p.client_id);
    if (p.will) {
      if (cv == Version::kV5) Properties(w, p.will->properties);
      w.String(p.will->topic);
      w.Binary(p.will->payload);
    }
    if (p.username) w.String(*p.username);
    if (p.password) w.Binary(*p.password);
  }

  uint8_t FirstByte(const Connack&) const { return First(PacketType::kConnack); }
  template <typename W>
  void Body(W& w, const Connack& p) const {
    w.U8(p.session_present ? 1 : 0);
    if (v == Version::kV5) {
      w.U8(static_cast<uint8_t>(p.reason));
      Properties(w, p.properties);
    } else {
      w.U8(static_cast<uint8_t>(ToConnackReturnCode(p.reason)));
    }
  }

  uint8_t FirstByte(const Publish& p) const {
    uint8_t flags = static_cast<uint8_t>(static_cast<uint8_t>(p.qos) << kPublishQosShift);
    if (p.dup) flags |= kPublishDupFlag;
    if (p.retain) flags |= kPublishRetainFlag;
    return First(PacketType::kPublish, flags);
  }
  template <typename W>
  void Header(W& w, const Publish& p) const {
    w.String(p.topic);
    if (p.qos != Qos::kAtMostOnce) w.U16(p.packet_id);
    if (v == Version::kV5) Properties(w, p.properties);
  }
  template <typename W>
  void Body(W& w, const Publish& p) const {
    Header(w, p);
    w.Raw(p.payload);
  }

  uint8_t FirstByte(const PubAck& p) const { return First(p.type, RequiredFlags(p.type)); }
  template <typename W>
  void Body(W& w, const PubAck& p) const {
    w.U16(p.packet_id);
    if (v != Version::kV5) return;
    // 3.4.2.1: Remaining Length 2 when Success has nothing to add, 3 when
    // only the reason code has something to say.
    const bool props = HasProperties(p.properties);
    if (p.reason == ReasonCode::kSuccess && !props) return;
    w.U8(static_cast<uint8_t>(p.reason));
    if (props) Properties(w, p.properties);
  }

  uint8_t FirstByte(const Subscribe&) const {
    return First(PacketType::kSubscribe, kRequiredFlagsPubrelSubscribeUnsubscribe);
  }
  template <typename W>
  void Body(W& w, const Subscribe& p) const {
    w.U16(p.packet_id);
    if (v == Version::kV5) Properties(w, p.properties);
    for (const Subscription& s : p.subscriptions) {
      w.String(s.filter);
      uint8_t options = static_cast<uint8_t>(s.qos);
      if (v == Version::kV5) {
        if (s.no_local) options |= kSubscribeNoLocalFlag;
        if (s.retain_as_published) options |= kSubscribeRetainAsPublishedFlag;
        options |= static_cast<uint8_t>(static_cast<uint8_t>(s.retain_handling) << kSubscribeRetainHandlingShift);
      }
      w.U8(options);
    }
  }

  uint8_t FirstByte(const Suback&) const { return First(PacketType::kSuback); }
  template <typename W>
  void Body(W& w, const Suback& p) const {
    w.U16(p.packet_id);
    if (v == Version::kV5) Properties(w, p.properties);
    for (const ReasonCode r : p.reasons) {
      w.U8(v == Version::kV5 ? static_cast<uint8_t>(r) : ToSubackReturnCode(r));
    }
  }

  uint8_t FirstByte(const Unsubscribe&) const {
    return First(PacketType::kUnsubscribe, kRequiredFlagsPubrelSubscribeUnsubscribe);
  }
  template <typename W>
  void Body(W& w, const Unsubscribe& p) const {
    w.U16(p.packet_id);
    if (v == Version::kV5) Properties(w, p.properties);
    for (const std::string_view filter : p.filters) w.String(filter);
  }

  uint8_t FirstByte(const Unsuback&) const { return First(PacketType::kUnsuback); }
  template <typename W>
  void Body(W& w, const Unsuback& p) const {
    w.U16(p.packet_id);
    if (v != Version::kV5) return;
    Properties(w, p.properties);
    for (const ReasonCode r : p.reasons) w.U8(static_cast<uint8_t>(r));
  }

  uint8_t FirstByte(const PingReq&) const { return First(PacketType::kPingreq); }
  template <typename W>
  void Body(W&, const PingReq&) const {}

  uint8_t FirstByte(const PingResp&) const { return First(PacketType::kPingresp); }
  template <typename W>
  void Body(W&, const PingResp&) const {}

  uint8_t FirstByte(const Disconnect&) const { return First(PacketType::kDisconnect); }
  template <typename W>
  void Body(W& w, const Disconnect& p) const {
    if (v == Version::kV5) ReasonAndProperties(w, p.reason, p.properties);
  }

  uint8_t FirstByte(const Auth&) const { return First(PacketType::kAuth); }
  template <typename W>
  void Body(W& w, const Auth& p) const {
    ReasonAndProperties(w, p.reason, p.properties);
  }

  // DISCONNECT and AUTH: nothing at all for Success without properties, the
  // reason code alone without properties (3.14.2.2, 3.15.2.2).
  template <typename W, typename Props>
  void ReasonAndProperties(W& w, ReasonCode reason, const Props& props) const {
    const bool has = HasProperties(props);
    if (reason == ReasonCode::kSuccess && !has) return;
    w.U8(static_cast<uint8_t>(reason));
    if (has) Properties(w, props);
  }
};

// A CONNECT is written in its own version, whatever the caller's.
Version VersionFor(Version v, const Packet& packet) {
  if (const auto* connect = std::get_if<Connect>(&packet)) return connect->version;
  return v;
}

template <typename T>
bool AppendOne(std::string& out, Version v, const T& p) {
  const Encoding e{v};
  return Emit(out, e.FirstByte(p), [&](auto& w) { e.Body(w, p); });
}

template <typename T>
size_t SizeOne(Version v, const T& p) {
  const Encoding e{v};
  return Size([&](auto& w) { e.Body(w, p); });
}

bool Within(size_t size, uint32_t max_packet_size) {
  return size != 0 && (max_packet_size == 0 || size <= max_packet_size);
}

}  // namespace

bool AppendConnect(std::string& out, const Connect& p) { return AppendOne(out, p.version, p); }
bool AppendConnack(std::string& out, Version v, const Connack& p) { return AppendOne(out, v, p); }
bool AppendPublish(std::string& out, Version v, const Publish& p) { return AppendOne(out, v, p); }
bool AppendPubAck(std::string& out, Version v, const PubAck& p) { return AppendOne(out, v, p); }
bool AppendSubscribe(std::string& out, Version v, const Subscribe& p) { return AppendOne(out, v, p); }
bool AppendSuback(std::string& out, Version v, const Suback& p) { return AppendOne(out, v, p); }
bool AppendUnsubscribe(std::string& out, Version v, const Unsubscribe& p) { return AppendOne(out, v, p); }
bool AppendUnsuback(std::string& out, Version v, const Unsuback& p) { return AppendOne(out, v, p); }
void AppendPingreq(std::string& out) { AppendOne(out, Version::kV5, PingReq{}); }
void AppendPingresp(std::string& out) { AppendOne(out, Version::kV5, PingResp{}); }
bool AppendDisconnect(std::string& out, Version v, const Disconnect& p) { return AppendOne(out, v, p); }
bool AppendAuth(std::string& out, const Auth& p) { return AppendOne(out, Version::kV5, p); }

bool AppendPublishHeader(std::string& out, Version v, const Publish& p, size_t payload_size) {
  const Encoding e{v};
  return Emit(out, e.FirstByte(p), [&](auto& w) {
    e.Header(w, p);
    w.Skip(payload_size);
  });
}

size_t PublishSize(Version v, const Publish& p, size_t payload_size) {
  const Encoding e{v};
  return Size([&](auto& w) {
    e.Header(w, p);
    w.Skip(payload_size);
  });
}

bool AppendPacket(std::string& out, Version v, const Packet& packet) {
  const Version pv = VersionFor(v, packet);
  return std::visit([&](const auto& p) { return AppendOne(out, pv, p); }, packet);
}

size_t EncodedSize(Version v, const Packet& packet) {
  const Version pv = VersionFor(v, packet);
  return std::visit([&](const auto& p) { return SizeOne(pv, p); }, packet);
}

bool Fits(Version v, const Packet& packet, uint32_t max_packet_size) {
  return Within(EncodedSize(v, packet), max_packet_size);
}

bool TrimToFit(Version v, Packet* packet, uint32_t max_packet_size) {
  if (Fits(v, *packet, max_packet_size)) return true;
  if (v != Version::kV5) return false;  // nothing optional to drop before 5.0
  return std::visit(
      [&](auto& p) {
        if constexpr (requires { p.properties.reason_string; }) {
          p.properties.reason_string.reset();
          if (Within(SizeOne(v, p), max_packet_size)) return true;
          p.properties.user_properties = {};
          return Within(SizeOne(v, p), max_packet_size);
        } else {
          return false;
        }
      },
      *packet);
}

}  // namespace tern::proto::mqtt
