#include "proto/mqtt/describe.h"

#include <cstdio>

namespace tern::proto::mqtt {
namespace {

class Text {
 public:
  Text& Word(std::string_view w) {
    if (!s_.empty() && s_.back() != '{') s_ += ' ';
    s_ += w;
    return *this;
  }
  Text& Quoted(std::string_view name, std::string_view v) {
    Word(name);
    s_ += '=';
    return Literal(v);
  }
  Text& Literal(std::string_view v) {
    s_ += '"';
    for (const char c : v) {
      const auto u = static_cast<unsigned char>(c);
      if (u >= 0x20 && u < 0x7F && c != '"' && c != '\\') {
        s_ += c;
      } else {
        char hex[5];
        std::snprintf(hex, sizeof(hex), "\\x%02x", u);
        s_ += hex;
      }
    }
    s_ += '"';
    return *this;
  }
  Text& Number(std::string_view name, uint64_t v) {
    Word(name);
    s_ += '=';
    s_ += std::to_string(v);
    return *this;
  }
  template <typename N>
  Text& Opt(std::string_view name, const std::optional<N>& v) {
    if (v) Number(name, *v);
    return *this;
  }
  Text& Opt(std::string_view name, const std::optional<std::string_view>& v) {
    if (v) Quoted(name, *v);
    return *this;
  }
  Text& Flag(std::string_view name, bool on) {
    if (on) Word(name);
    return *this;
  }
  Text& Users(const List<StringPair>& users) {
    for (const StringPair p : users) {
      Quoted("user", p.name);
      s_ += ':';
      Literal(p.value);
    }
    return *this;
  }
  Text& Reason(ReasonCode r) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "0x%02x", static_cast<unsigned>(r));
    return Word(std::string("reason=") + hex);
  }
  Text& Open(std::string_view name) {
    Word(name);
    s_ += '{';
    return *this;
  }
  Text& Close() {
    s_ += '}';
    return *this;
  }
  std::string Take() { return std::move(s_); }

 private:
  std::string s_;
};

void Props(Text& t, const WillProperties& p) {
  t.Opt("will_delay", p.will_delay_interval)
      .Opt("format", p.payload_format_indicator)
      .Opt("expiry", p.message_expiry_interval)
      .Opt("content_type", p.content_type)
      .Opt("response_topic", p.response_topic)
      .Opt("correlation", p.correlation_data)
      .Users(p.user_properties);
}

void Props(Text& t, const ConnectProperties& p) {
  t.Opt("session_expiry", p.session_expiry_interval)
      .Opt("receive_max", p.receive_maximum)
      .Opt("max_packet", p.maximum_packet_size)
      .Opt("alias_max", p.topic_alias_maximum)
      .Opt("request_response", p.request_response_information)
      .Opt("request_problem", p.request_problem_information)
      .Opt("auth_method", p.authentication_method)
      .Opt("auth_data", p.authentication_data)
      .Users(p.user_properties);
}

void Props(Text& t, const ConnackProperties& p) {
  t.Opt("session_expiry", p.session_expiry_interval)
      .Opt("receive_max", p.receive_maximum)
      .Opt("max_qos", p.maximum_qos)
      .Opt("retain_available", p.retain_available)
      .Opt("max_packet", p.maximum_packet_size)
      .Opt("assigned_id", p.assigned_client_identifier)
      .Opt("alias_max", p.topic_alias_maximum)
      .Opt("reason_string", p.reason_string)
      .Opt("wildcard_available", p.wildcard_subscription_available)
      .Opt("sub_id_available", p.subscription_identifier_available)
      .Opt("shared_available", p.shared_subscription_available)
      .Opt("server_keep_alive", p.server_keep_alive)
      .Opt("response_info", p.response_information)
      .Opt("server_reference", p.server_reference)
      .Opt("auth_method", p.authentication_method)
      .Opt("auth_data", p.authentication_data)
      .Users(p.user_properties);
}

void Props(Text& t, const PublishProperties& p) {
  t.Opt("format", p.payload_format_indicator)
      .Opt("expiry", p.message_expiry_interval)
      .Opt("alias", p.topic_alias)
      .Opt("response_topic", p.response_topic)
      .Opt("correlation", p.correlation_data)
      .Opt("content_type", p.content_type)
      .Users(p.user_properties);
  for (const uint32_t id : p.subscription_identifiers) t.Number("sub_id", id);
}

void Props(Text& t, const AckProperties& p) { t.Opt("reason_string", p.reason_string).Users(p.user_properties); }
void Props(Text& t, const SubscribeProperties& p) {
  t.Opt("sub_id", p.subscription_identifier).Users(p.user_properties);
}
void Props(Text& t, const UnsubscribeProperties& p) { t.Users(p.user_properties); }
void Props(Text& t, const DisconnectProperties& p) {
  t.Opt("session_expiry", p.session_expiry_interval)
      .Opt("reason_string", p.reason_string)
      .Opt("server_reference", p.server_reference)
      .Users(p.user_properties);
}
void Props(Text& t, const AuthProperties& p) {
  t.Opt("auth_method", p.authentication_method)
      .Opt("auth_data", p.authentication_data)
      .Opt("reason_string", p.reason_string)
      .Users(p.user_properties);
}

struct Describer {
  Text& t;
  void operator()(const Connect& p) {
    t.Word("CONNECT").Number("v", static_cast<uint8_t>(p.version)).Flag("clean", p.clean_start);
    t.Number("keep_alive", p.keep_alive).Quoted("id", p.client_id);
    if (p.will) {
      t.Open("will").Number("q", static_cast<uint8_t>(p.will->qos)).Flag("retain", p.will->retain);
      t.Quoted("topic", p.will->topic).Quoted("payload", p.will->payload);
      Props(t, p.will->properties);
      t.Close();
    }
    t.Opt("user", p.username).Opt("password", p.password);
    Props(t, p.properties);
  }
  void operator()(const Connack& p) {
    t.Word("CONNACK").Flag("session_present", p.session_present).Reason(p.reason);
    Props(t, p.properties);
  }
  void operator()(const Publish& p) {
    t.Word("PUBLISH").Number("q", static_cast<uint8_t>(p.qos)).Flag("dup", p.dup).Flag("retain", p.retain);
    if (p.qos != Qos::kAtMostOnce) t.Number("id", p.packet_id);
    t.Quoted("topic", p.topic).Quoted("payload", p.payload);
    Props(t, p.properties);
  }
  void operator()(const PubAck& p) {
    t.Word(PacketTypeName(p.type)).Number("id", p.packet_id).Reason(p.reason);
    Props(t, p.properties);
  }
  void operator()(const Subscribe& p) {
    t.Word("SUBSCRIBE").Number("id", p.packet_id);
    Props(t, p.properties);
    for (const Subscription& s : p.subscriptions) {
      t.Quoted("filter", s.filter).Number("q", static_cast<uint8_t>(s.qos));
      t.Flag("no_local", s.no_local).Flag("rap", s.retain_as_published);
      t.Number("rh", static_cast<uint8_t>(s.retain_handling));
    }
  }
  void operator()(const Suback& p) {
    t.Word("SUBACK").Number("id", p.packet_id);
    Props(t, p.properties);
    for (const ReasonCode r : p.reasons) t.Reason(r);
  }
  void operator()(const Unsubscribe& p) {
    t.Word("UNSUBSCRIBE").Number("id", p.packet_id);
    Props(t, p.properties);
    for (const std::string_view f : p.filters) t.Quoted("filter", f);
  }
  void operator()(const Unsuback& p) {
    t.Word("UNSUBACK").Number("id", p.packet_id);
    Props(t, p.properties);
    for (const ReasonCode r : p.reasons) t.Reason(r);
  }
  void operator()(const PingReq&) { t.Word("PINGREQ"); }
  void operator()(const PingResp&) { t.Word("PINGRESP"); }
  void operator()(const Disconnect& p) {
    t.Word("DISCONNECT").Reason(p.reason);
    Props(t, p.properties);
  }
  void operator()(const Auth& p) {
    t.Word("AUTH").Reason(p.reason);
    Props(t, p.properties);
  }
};

}  // namespace

std::string Describe(const Packet& packet) {
  Text t;
  std::visit(Describer{t}, packet);
  return t.Take();
}

}  // namespace tern::proto::mqtt
