// Retained messages (3.3.1.3): the last retained PUBLISH of each topic, kept
// by subject, handed to a subscription when it is made. One per server,
// shared by every worker; a SUBSCRIBE walks all of them (an index of
// retained topics is the next step if many are kept).
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <span>
#include <string>

#include "core/message.h"
#include "proto/subject.h"
#include "server/mqtt/message.h"

namespace tern::server::mqtt {

class RetainedStore {
 public:
  // Sets or replaces the retained message of msg.subject; an empty payload
  // deletes it (MQTT-3.3.1-6) and is not kept.
  void Set(const core::Message& msg, io::Clock::time_point now);

  // Calls fn(const StoredMessage&) for each unexpired message whose subject
  // matches one of `patterns`; a filter that starts with a wildcard skips
  // '$' topics. fn runs under the store's lock: it may take a session's.
  template <typename Fn>
  void ForEachMatch(std::span<const std::string> patterns, bool skips_dollar, io::Clock::time_point now, Fn&& fn) {
    std::lock_guard lock(mu_);
    for (auto it = messages_.begin(); it != messages_.end();) {
      if (it->second.Expired(now)) {
        it = messages_.erase(it);
        continue;
      }
      const std::string& subject = it->first;
      if (!(skips_dollar && subject.starts_with('$'))) {
        for (const std::string& pattern : patterns) {
          if (!pattern.empty() && proto::SubjectMatches(pattern, subject)) {
            fn(it->second);
            break;
          }
        }
      }
      ++it;
    }
  }

  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, StoredMessage, std::less<>> messages_;
};

}  // namespace tern::server::mqtt
