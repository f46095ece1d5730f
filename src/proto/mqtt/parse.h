// Packet bodies, one parser each, over a body that is wholly in memory (the
// Decoder frames packets and has already checked the fixed header: type,
// flags, and the lengths that are fixed). Each returns false with the fault
// recorded in the reader. Internal to the codec.
#pragma once

#include <cstdint>

#include "proto/mqtt/packets.h"
#include "proto/mqtt/reader.h"

namespace tern::proto::mqtt {

// What is known of a CONNECT as its parse goes, for the decoder to choose
// how to refuse it: a CONNACK needs the version, or at least a protocol name
// it recognises.
struct ConnectStage {
  bool name_known = false;              // "MQTT" or "MQIsdp"
  Version version = Version::kUnknown;  // set once name and level agree
};

bool ParseConnect(Reader& r, ConnectStage* stage, Connect* out);
bool ParseConnack(Reader& r, Version version, Connack* out);
bool ParsePublish(Reader& r, Role role, Version version, uint8_t flags, Publish* out);
bool ParsePubAck(Reader& r, Version version, PacketType type, PubAck* out);
bool ParseSubscribe(Reader& r, Version version, Subscribe* out);
bool ParseSuback(Reader& r, Version version, Suback* out);
bool ParseUnsubscribe(Reader& r, Version version, Unsubscribe* out);
bool ParseUnsuback(Reader& r, Version version, Unsuback* out);
bool ParseDisconnect(Reader& r, Role role, Version version, Disconnect* out);
bool ParseAuth(Reader& r, Auth* out);

// Shared by the parsers: a Packet Identifier, which is never 0 (2.2.1; 2.3.1
// in 3.1.1), and nothing left after the last field.
bool ReadPacketId(Reader& r, uint16_t* id);
bool ExpectEnd(Reader& r);

}  // namespace tern::proto::mqtt
