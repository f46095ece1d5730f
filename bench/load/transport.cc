#include "transport.h"

namespace tern::loadgen {

bool ParseTransport(std::string_view text, Transport* out) {
  for (Transport t : {Transport::kTcp, Transport::kTls, Transport::kWs, Transport::kWss}) {
    if (text == TransportName(t)) {
      *out = t;
      return true;
    }
  }
  return false;
}

std::string_view TransportName(Transport transport) {
  switch (transport) {
    case Transport::kTcp:
      return "tcp";
    case Transport::kTls:
      return "tls";
    case Transport::kWs:
      return "ws";
    case Transport::kWss:
      return "wss";
  }
  return "?";
}

}  // namespace tern::loadgen
