// Reads a 5.0 property block (a Variable Byte Integer length, then the
// properties) into the struct for its packet, enforcing 2.2.2.2: known
// identifiers only (else Malformed Packet), only those the packet allows,
// each at most once unless it may repeat, and values in range (else
// Protocol Error; a Topic Alias of 0 is Topic Alias invalid). Internal to
// the codec.
#pragma once

#include "proto/mqtt/packets.h"
#include "proto/mqtt/properties.h"
#include "proto/mqtt/reader.h"

namespace tern::proto::mqtt {

bool ReadProperties(Reader& r, ConnectProperties* out);
bool ReadProperties(Reader& r, WillProperties* out);
bool ReadProperties(Reader& r, ConnackProperties* out);
// `role` is the decoder's: a server refuses Subscription Identifiers, which
// only a server may send (MQTT-3.3.4-6).
bool ReadProperties(Reader& r, Role role, PublishProperties* out);
// `scope`: PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK or UNSUBACK.
bool ReadProperties(Reader& r, PropertyScope scope, AckProperties* out);
bool ReadProperties(Reader& r, SubscribeProperties* out);
bool ReadProperties(Reader& r, UnsubscribeProperties* out);
// A client refuses a Session Expiry Interval, which a server must not send
// (MQTT-3.14.2-2).
bool ReadProperties(Reader& r, Role role, DisconnectProperties* out);
bool ReadProperties(Reader& r, AuthProperties* out);

}  // namespace tern::proto::mqtt
