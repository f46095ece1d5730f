// Direct messages with delivery acknowledgement.
//
// Every connection has an id (Connection::id()). ListenDirect() subscribes to
// _TERN.DM.<id>; SendDirect() sends to one id and waits for the ack, which the
// receiving library sends after the application's handler has returned.
//   Ok            the receiver's handler took the message
//   kNoResponders no connection with that id is listening
//   kTimeout      it is listening but no ack came in time (its handler is
//                 slow or stuck, or the message was lost)
// The sender's id travels in the Tern-From header.
//
// Thread-safety: both calls may be made from any thread. SendDirect blocks
// for up to the timeout, so calling it from a handler of the receiving
// connection in serial mode waits on itself and times out.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "tern/connection.h"

namespace tern {

inline constexpr std::string_view kDirectPrefix = "_TERN.DM.";
inline constexpr std::string_view kDirectFromHeader = "Tern-From";

std::string DirectSubject(std::string_view client_id);

Result<Subscription> ListenDirect(Connection& conn, Handler handler);
Status SendDirect(Connection& conn, std::string_view client_id, std::string_view data,
                  std::chrono::milliseconds timeout);

}  // namespace tern
