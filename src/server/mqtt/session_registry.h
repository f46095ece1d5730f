// Every MQTT session of this node by client id: opening one for a CONNECT
// (new, resumed, or taken over from the connection that had it), and the
// two clocks of a session no connection serves: the Will Delay Interval
// and the Session Expiry Interval. Whichever comes first sends the Will
// (3.1.3.2.2); expiry ends the session.
//
// Threading: any worker opens and closes (under `mu_`); worker 0 ticks.
// The results say what the caller must do outside every lock: publish a
// Will, end the core subscriptions of sessions that ended, tell a
// connection it was taken over (on its own worker).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/mqtt/session_state.h"

namespace tern::server::mqtt {

class SessionRegistry {
 public:
  explicit SessionRegistry(Broker& broker) : broker_(broker) {}

  // Leftovers of ending or leaving a session, for the caller to act on.
  struct Aftermath {
    std::vector<StoredMessage> wills;              // publish
    std::vector<SessionSubscription> ended;        // unsubscribe from the core
    std::shared_ptr<Connection> taken_over;        // close with Session taken over
    MqttSession* taken_over_session = nullptr;     // its session, alive while taken_over is
  };
  struct Opened {
    std::shared_ptr<SessionState> state;
    bool present = false;  // CONNACK's Session Present
    Aftermath aftermath;
  };
  // For a CONNECT of `client_id`. A connection still serving that id is
  // detached from the session (and named in the aftermath to be closed);
  // its Will goes unless a 5.0 Will Delay covers the reconnect.
  Opened Open(const std::string& client_id, bool clean_start, io::Clock::time_point now);

  // `conn` closed while it served `state`. `publish_will`: not a DISCONNECT
  // 0x00 (which discards the Will). The Will goes now or after its delay;
  // the session ends now (expiry 0) or later.
  Aftermath Disconnected(const std::shared_ptr<SessionState>& state, const Connection* conn, bool publish_will,
                         io::Clock::time_point now);

  // Wills whose delay ran out and sessions that expired.
  Aftermath Tick(io::Clock::time_point now);

  size_t size() const;
  // Every session (sorted by client id), with when each expires if no
  // connection serves it; for /mqttz.
  struct Listed {
    SessionState::Summary summary;
    uint32_t expiry_interval = 0;  // seconds; UINT32_MAX: never
  };
  std::vector<Listed> List() const;
  // Forgets every session (the server is going away): no Will, no delivery.
  void Clear();

 private:
  // Under mu_: removes `state` and collects what it leaves.
  void EndLocked(const std::shared_ptr<SessionState>& state, Aftermath* out);

  Broker& broker_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<SessionState>> sessions_;
  // Sessions no connection serves that wait for a Will delay or expiry.
  std::vector<std::shared_ptr<SessionState>> waiting_;
};

}  // namespace tern::server::mqtt
