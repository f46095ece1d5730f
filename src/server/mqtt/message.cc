#include "server/mqtt/message.h"

#include <charconv>

#include "core/mqtt_subject.h"
#include "proto/nats/headers.h"

namespace tern::server::mqtt {

namespace pm = proto::mqtt;
namespace nats = proto::nats;

namespace {

constexpr char kHex[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ParseU32(std::string_view text, uint32_t* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

pm::ReasonCode Inbound::Convert(std::string_view topic, const pm::Publish& publish, core::Message* out) {
  if (!core::MqttTopicToSubject(topic, &subject_)) return pm::ReasonCode::kTopicNameInvalid;
  const pm::PublishProperties& p = publish.properties;
  reply_.clear();
  if (p.response_topic && !core::MqttTopicToSubject(*p.response_topic, &reply_)) {
    return pm::ReasonCode::kTopicNameInvalid;
  }
  headers_.clear();
  for (const pm::StringPair user : p.user_properties) {
    if (!nats::IsValidHeader(user.name, user.value)) {
      ++dropped_properties_;
      continue;
    }
    nats::AppendHeader(headers_, user.name, user.value);
  }
  if (p.content_type && nats::IsValidHeader(kContentTypeHeader, *p.content_type)) {
    nats::AppendHeader(headers_, kContentTypeHeader, *p.content_type);
  }
  if (p.payload_format_indicator) {
    nats::AppendHeader(headers_, kPayloadFormatHeader, *p.payload_format_indicator == 1 ? "1" : "0");
  }
  if (p.message_expiry_interval) {
    nats::AppendHeader(headers_, kMessageExpiryHeader, std::to_string(*p.message_expiry_interval));
  }
  if (p.correlation_data) {
    scratch_.clear();
    for (unsigned char c : *p.correlation_data) {
      scratch_.push_back(kHex[c >> 4]);
      scratch_.push_back(kHex[c & 15]);
    }
    nats::AppendHeader(headers_, kCorrelationDataHeader, scratch_);
  }
  nats::CloseHeaders(headers_);
  out->subject = subject_;
  out->reply = reply_;
  out->headers = headers_;
  out->payload = publish.payload;
  out->qos = static_cast<uint8_t>(publish.qos);
  out->retain = publish.retain;
  return pm::ReasonCode::kSuccess;
}

std::optional<uint32_t> MessageExpiry(std::string_view headers) {
  std::optional<uint32_t> expiry;
  if (headers.empty()) return expiry;
  nats::ForEachHeader(headers, [&](std::string_view name, std::string_view value) {
    uint32_t seconds = 0;
    if (name == kMessageExpiryHeader && ParseU32(value, &seconds)) expiry = seconds;
  });
  return expiry;
}

StoredMessage StoredMessage::From(const core::Message& msg, io::Clock::time_point now) {
  StoredMessage m;
  m.subject.assign(msg.subject);
  m.reply.assign(msg.reply);
  m.headers.assign(msg.headers);
  m.payload.assign(msg.payload);
  m.qos = msg.qos;
  m.retain = msg.retain;
  if (std::optional<uint32_t> expiry = MessageExpiry(msg.headers)) m.expires = now + std::chrono::seconds(*expiry);
  return m;
}

core::Message StoredMessage::View() const {
  core::Message msg{subject, reply, headers, payload};
  msg.qos = qos;
  msg.retain = retain;
  return msg;
}

void Outbound::Convert(const core::Message& msg, pm::Version version, std::optional<uint32_t> expiry_left,
                       pm::Publish* out) {
  core::SubjectToMqttTopic(msg.subject, &topic_);
  out->topic = topic_;
  out->payload = msg.payload;
  out->properties = {};
  if (version != pm::Version::kV5) return;
  pm::PublishProperties& p = out->properties;
  if (!msg.reply.empty()) {
    core::SubjectToMqttTopic(msg.reply, &response_topic_);
    p.response_topic = response_topic_;
  }
  users_.clear();
  if (!msg.headers.empty()) {
    nats::ForEachHeader(msg.headers, [&](std::string_view name, std::string_view value) {
      uint32_t n = 0;
      if (name == kContentTypeHeader) {
        p.content_type = value;
      } else if (name == kPayloadFormatHeader) {
        p.payload_format_indicator = value == "1" ? 1 : 0;
      } else if (name == kMessageExpiryHeader) {
        if (ParseU32(value, &n)) p.message_expiry_interval = n;
      } else if (name == kCorrelationDataHeader) {
        correlation_.clear();
        for (size_t i = 0; i + 1 < value.size(); i += 2) {
          const int hi = HexValue(value[i]), lo = HexValue(value[i + 1]);
          if (hi < 0 || lo < 0) break;
          correlation_.push_back(static_cast<char>(hi << 4 | lo));
        }
        p.correlation_data = correlation_;
      } else {
        users_.push_back({name, value});
      }
    });
  }
  if (expiry_left) p.message_expiry_interval = *expiry_left;
  p.user_properties = users_;
}

}  // namespace tern::server::mqtt
