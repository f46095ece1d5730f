#include "server/mqtt/session_registry.h"

#include <algorithm>
#include <climits>

#include "server/mqtt/broker.h"

namespace tern::server::mqtt {

namespace {
constexpr uint32_t kNeverExpires = UINT32_MAX;
}

SessionRegistry::Opened SessionRegistry::Open(const std::string& client_id, bool clean_start,
                                              io::Clock::time_point now) {
  (void)now;
  Opened r;
  std::lock_guard lock(mu_);
  if (auto it = sessions_.find(client_id); it != sessions_.end()) {
    std::shared_ptr<SessionState> old = it->second;
    if (std::optional<Link> link = old->DetachAny()) {
      r.aftermath.taken_over = std::move(link->conn);
      r.aftermath.taken_over_session = link->session;
    }
    // A Will still held: a session that is ending sends it; one resumed
    // before its Will Delay ran out must not (3.1.3.2.2).
    if (std::optional<SessionState::Will> will = old->TakeWill(); will && (clean_start || will->delay == 0)) {
      r.aftermath.wills.push_back(std::move(will->message));
    }
    if (clean_start) {
      EndLocked(old, &r.aftermath);
    } else {
      std::erase(waiting_, old);
      old->will_at = {};
      old->expire_at = {};
      r.state = std::move(old);
      r.present = true;
    }
  }
  if (r.state == nullptr) {
    r.state = std::make_shared<SessionState>(broker_, client_id, broker_.NextSessionId());
    sessions_.emplace(client_id, r.state);
  }
  return r;
}

SessionRegistry::Aftermath SessionRegistry::Disconnected(const std::shared_ptr<SessionState>& state,
                                                         const Connection* conn, bool publish_will,
                                                         io::Clock::time_point now) {
  Aftermath r;
  std::lock_guard lock(mu_);
  if (!state->Detach(conn)) return r;  // taken over: the new connection's Open dealt with it
  std::optional<SessionState::Will> will = state->TakeWill();
  if (!publish_will) will.reset();
  if (state->expiry_interval == 0) {
    if (will) r.wills.push_back(std::move(will->message));
    EndLocked(state, &r);
    return r;
  }
  if (will && will->delay == 0) {
    r.wills.push_back(std::move(will->message));
  } else if (will) {
    state->will_at = now + std::chrono::seconds(will->delay);
    state->SetWill(std::move(will));
  }
  if (state->expiry_interval != kNeverExpires) {
    state->expire_at = now + std::chrono::seconds(state->expiry_interval);
  }
  if (state->will_at != io::Clock::time_point{} || state->expire_at != io::Clock::time_point{}) {
    waiting_.push_back(state);
  }
  return r;
}

SessionRegistry::Aftermath SessionRegistry::Tick(io::Clock::time_point now) {
  Aftermath r;
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<SessionState>> expired;
  for (const auto& state : waiting_) {
    if (state->will_at != io::Clock::time_point{} && now >= state->will_at) {
      state->will_at = {};
      if (std::optional<SessionState::Will> will = state->TakeWill()) r.wills.push_back(std::move(will->message));
    }
    if (state->expire_at != io::Clock::time_point{} && now >= state->expire_at) expired.push_back(state);
  }
  for (const auto& state : expired) EndLocked(state, &r);
  std::erase_if(waiting_, [](const auto& s) {
    return s->will_at == io::Clock::time_point{} && s->expire_at == io::Clock::time_point{};
  });
  return r;
}

void SessionRegistry::EndLocked(const std::shared_ptr<SessionState>& state, Aftermath* out) {
  if (auto it = sessions_.find(state->client_id()); it != sessions_.end() && it->second == state) sessions_.erase(it);
  std::erase(waiting_, state);
  state->will_at = {};
  state->expire_at = {};
  if (std::optional<SessionState::Will> will = state->TakeWill()) out->wills.push_back(std::move(will->message));
  for (SessionSubscription& sub : state->TakeAll()) out->ended.push_back(std::move(sub));
}

void SessionRegistry::Clear() {
  std::lock_guard lock(mu_);
  for (auto& [id, state] : sessions_) {
    state->SetWill(std::nullopt);
    state->TakeAll();
  }
  sessions_.clear();
  waiting_.clear();
}

std::vector<SessionRegistry::Listed> SessionRegistry::List() const {
  std::vector<Listed> out;
  {
    std::lock_guard lock(mu_);  // then each session's: the order Open() takes them in
    out.reserve(sessions_.size());
    for (const auto& [id, state] : sessions_) out.push_back({state->Summarize(), state->expiry_interval});
  }
  std::sort(out.begin(), out.end(),
            [](const Listed& a, const Listed& b) { return a.summary.client_id < b.summary.client_id; });
  return out;
}

size_t SessionRegistry::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

}  // namespace tern::server::mqtt
