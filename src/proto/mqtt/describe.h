// One line of text for a packet, every field and property present, for logs
// and for tests that compare whole runs of packets. Bytes outside printable
// ASCII show as \xNN.
#pragma once

#include <string>

#include "proto/mqtt/packets.h"

namespace tern::proto::mqtt {

std::string Describe(const Packet& packet);

}  // namespace tern::proto::mqtt
