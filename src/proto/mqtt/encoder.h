// Encoders for every MQTT packet, both the server's (CONNACK, PUBLISH, the
// acknowledgements, SUBACK, UNSUBACK, PINGRESP, DISCONNECT, AUTH) and the
// client's (CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, ...), appending to a
// std::string so they write straight into a connection's output buffer.
//
// They write what they are given for the version asked: fields the version
// lacks are left out (3.1.1 has no properties and no reason codes except
// CONNACK's return code and SUBACK's granted QoS / 0x80), and the short forms
// 5.0 allows are used when there is nothing more to say. They do not check
// what the decoder checks (valid UTF-8, topics, packet ids), so tests can
// build bad packets with them. Each returns false, leaving `out` as it was,
// only when the packet cannot be encoded at all: a string longer than 65,535
// bytes or a body longer than 268,435,455.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "proto/mqtt/packets.h"

namespace tern::proto::mqtt {

bool AppendConnect(std::string& out, const Connect& packet);  // in packet.version
bool AppendConnack(std::string& out, Version version, const Connack& packet);
// The whole PUBLISH, payload included.
bool AppendPublish(std::string& out, Version version, const Publish& packet);
// Everything of a PUBLISH up to its payload, for a payload of
// `payload_size` bytes that the caller sends after it (a large payload
// shared by reference rather than copied); `packet.payload` is not looked at.
bool AppendPublishHeader(std::string& out, Version version, const Publish& packet, size_t payload_size);
bool AppendPubAck(std::string& out, Version version, const PubAck& packet);  // PUBACK/PUBREC/PUBREL/PUBCOMP
bool AppendSubscribe(std::string& out, Version version, const Subscribe& packet);
bool AppendSuback(std::string& out, Version version, const Suback& packet);
bool AppendUnsubscribe(std::string& out, Version version, const Unsubscribe& packet);
bool AppendUnsuback(std::string& out, Version version, const Unsuback& packet);
void AppendPingreq(std::string& out);
void AppendPingresp(std::string& out);
// 3.1.1: the client's empty DISCONNECT (servers send none before 5.0).
bool AppendDisconnect(std::string& out, Version version, const Disconnect& packet);
bool AppendAuth(std::string& out, const Auth& packet);  // 5.0 only
// Any of the above.
bool AppendPacket(std::string& out, Version version, const Packet& packet);

// The whole packet's size as encoded for `version`, fixed header included:
// what 5.0's Maximum Packet Size limits. 0 when it cannot be encoded.
size_t EncodedSize(Version version, const Packet& packet);
// A PUBLISH with a payload of `payload_size` bytes, whatever packet.payload
// holds, for the spliced form.
size_t PublishSize(Version version, const Publish& packet, size_t payload_size);

// Whether the packet may go to a peer that announced `max_packet_size`
// (0: it announced none, so only the protocol's limit applies).
bool Fits(Version version, const Packet& packet, uint32_t max_packet_size);

// A server must not send a packet larger than the client's Maximum Packet
// Size (MQTT-3.1.2-24); the Reason String and the User Properties are the
// parts it may leave out to get under it (3.2.2.3.7, 3.4.2.2.2, ...). Drops
// the Reason String first, then all User Properties, as far as needed, and
// returns whether the packet fits now. Never touches a PUBLISH (its user
// properties belong to the message, MQTT-3.3.2-17) or a CONNECT: for those
// the answer is only Fits(). A PUBLISH that does not fit is discarded
// without sending, as if delivered (MQTT-3.1.2-25).
bool TrimToFit(Version version, Packet* packet, uint32_t max_packet_size);

}  // namespace tern::proto::mqtt
