#include "server/mqtt/retained_store.h"

namespace tern::server::mqtt {

void RetainedStore::Set(const core::Message& msg, io::Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (msg.payload.empty()) {
    if (auto it = messages_.find(msg.subject); it != messages_.end()) messages_.erase(it);
    return;
  }
  StoredMessage stored = StoredMessage::From(msg, now);
  stored.retain = true;
  messages_.insert_or_assign(stored.subject, std::move(stored));
}

size_t RetainedStore::size() const {
  std::lock_guard lock(mu_);
  return messages_.size();
}

}  // namespace tern::server::mqtt
