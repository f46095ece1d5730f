// How an MQTT message crosses into the core's subject space and out again:
// topic <-> subject (core/mqtt_subject.h), Response Topic <-> reply subject,
// User Properties <-> NATS headers. The 5.0 properties NATS has no field
// for travel as headers of their own, so a NATS client sees them and an
// MQTT subscriber gets them back as properties:
//
//   Mqtt-Content-Type: text/plain     Content Type
//   Mqtt-Payload-Format: 1            Payload Format Indicator
//   Mqtt-Message-Expiry: 30           Message Expiry Interval, seconds left when published
//   Mqtt-Correlation-Data: 0a1b       Correlation Data, hex (it is binary)
//
// A User Property that cannot be a header line (a line break in it, a ':'
// or blank in its name) is left out, and counted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/message.h"
#include "io/event_loop.h"
#include "proto/mqtt/packets.h"

namespace tern::server::mqtt {

inline constexpr std::string_view kContentTypeHeader = "Mqtt-Content-Type";
inline constexpr std::string_view kPayloadFormatHeader = "Mqtt-Payload-Format";
inline constexpr std::string_view kMessageExpiryHeader = "Mqtt-Message-Expiry";
inline constexpr std::string_view kCorrelationDataHeader = "Mqtt-Correlation-Data";

// Turns one PUBLISH (or a Will) into a core::Message whose views point into
// this object and the packet. Reused by a session for every publish, so its
// strings keep their capacity.
class Inbound {
 public:
  // kSuccess, or the reason the message cannot be published: Topic Name
  // invalid when the topic (or Response Topic) is nothing a subject can be.
  proto::mqtt::ReasonCode Convert(std::string_view topic, const proto::mqtt::Publish& publish, core::Message* out);
  uint64_t dropped_properties() const { return dropped_properties_; }

 private:
  std::string subject_, reply_, headers_, scratch_;
  uint64_t dropped_properties_ = 0;
};

// A message kept beyond one publish (queued, in flight, retained, a Will),
// in the core's form so that it leaves by the same path as a live one.
struct StoredMessage {
  std::string subject, reply, headers, payload;
  uint8_t qos = 0;
  bool retain = false;
  io::Clock::time_point expires{};  // zero: never (from Mqtt-Message-Expiry)

  static StoredMessage From(const core::Message& msg, io::Clock::time_point now);
  core::Message View() const;
  bool Expired(io::Clock::time_point now) const { return expires != io::Clock::time_point{} && now >= expires; }
  size_t bytes() const { return subject.size() + reply.size() + headers.size() + payload.size(); }
};

// The topic and properties of an outgoing PUBLISH for a core message, as
// views into this object and the message. One per session, reused.
class Outbound {
 public:
  // 3.1.1 gets the topic alone. `expiry_left` (seconds) replaces the
  // message's own Message Expiry for a message that waited.
  void Convert(const core::Message& msg, proto::mqtt::Version version, std::optional<uint32_t> expiry_left,
               proto::mqtt::Publish* out);

 private:
  std::string topic_, response_topic_, correlation_;
  std::vector<proto::mqtt::StringPair> users_;
};

// Seconds of Message Expiry a header block carries, if any.
std::optional<uint32_t> MessageExpiry(std::string_view headers);

}  // namespace tern::server::mqtt
