// Per-user publish/subscribe rights, protocol-neutral: the NATS session and
// the MQTT session (on subjects it has mapped) ask the same questions.
//
// Semantics are nats-server's (server/client.go canSubscribe,
// pubAllowedFullCheck): an allow list, when present, must match; a deny
// list, when present, must not; deny wins. A pattern may name a queue group
// ("foo.* workers"): such an entry allows (or denies) only queue
// subscriptions in that group, and once a subject has queue entries a queue
// subscription is decided by them alone. A subscription subject with
// wildcards is compared token by token as nats-server does: a pattern `*`
// or `>` also matches a literal `*` or `>` token of the subscription.
//
// A Permissions object is compiled once (config load, reload, a callout
// answer) and never changes, so it is shared by every connection of a user
// and read from any thread. Decisions are memoised per connection in a
// PublishCache, owned by the connection's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/subject_hash.h"

namespace tern::core {

// A set of subject patterns, each optionally naming a queue group.
class PatternSet {
 public:
  PatternSet();
  ~PatternSet();
  PatternSet(PatternSet&&) noexcept;
  PatternSet& operator=(PatternSet&&) noexcept;

  // `entry` is "subject" or "subject queue". False for an invalid subject.
  bool Add(std::string_view entry);
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

  struct Hit {
    bool plain = false;        // a pattern without a queue matched
    bool has_queues = false;   // some pattern with a queue matched
    bool queue_match = false;  // ... and its queue matched the one asked about
  };
  Hit Match(std::string_view subject, std::string_view queue = {}) const;
  bool Matches(std::string_view subject) const { return Match(subject).plain; }
  // True when some plain pattern is within the wildcard subscription
  // `subject` (a message it receives could be one the pattern names).
  bool AnyWithin(std::string_view subject) const;

 private:
  struct Node;
  std::unique_ptr<Node> root_;
  std::vector<std::string> plain_;  // for AnyWithin
  size_t size_ = 0;
};

// allow_responses: publishing to the reply subject of a request this client
// received, up to `max_msgs` times within `expires` of receiving it.
struct ResponseRule {
  int max_msgs = 1;
  std::chrono::milliseconds expires{std::chrono::minutes(2)};
};

// Rules as configured (or answered by a callout), before compiling.
struct SubjectRules {
  std::vector<std::string> allow, deny;
};
struct PermissionRules {
  SubjectRules publish, subscribe;
  std::optional<ResponseRule> responses;
  bool empty() const {
    return publish.allow.empty() && publish.deny.empty() && subscribe.allow.empty() && subscribe.deny.empty() &&
           !responses;
  }
};

class Permissions {
 public:
  // An invalid pattern is an error naming it; config checks them first.
  static std::shared_ptr<const Permissions> Compile(const PermissionRules& rules, std::string* error = nullptr);

  bool restricts_publish() const { return pub_allow_set_ || !pub_deny_.empty(); }
  bool restricts_subscribe() const { return sub_allow_set_ || !sub_deny_.empty(); }
  const std::optional<ResponseRule>& responses() const { return responses_; }
  const PermissionRules& rules() const { return rules_; }

  // Without the response allowance, which is per connection.
  bool CanPublish(std::string_view subject) const;
  // `filter` is set when the subscription is allowed but a deny pattern
  // lies within it: messages it matches must be dropped at delivery.
  bool CanSubscribe(std::string_view subject, std::string_view queue, bool* filter = nullptr) const;
  // Delivery filter for those subscriptions.
  bool DeniesDelivery(std::string_view subject) const { return sub_deny_.Matches(subject); }

 private:
  PermissionRules rules_;
  PatternSet pub_allow_, pub_deny_, sub_allow_, sub_deny_;
  bool pub_allow_set_ = false, sub_allow_set_ = false;
  std::optional<ResponseRule> responses_;
};
using PermissionsPtr = std::shared_ptr<const Permissions>;

// Publish decisions of one connection, memoised. The last subject is kept
// apart, so a publisher that sends to one subject pays a compare; others a
// hash lookup. Bounded: past kMaxEntries it starts again (as nats-server
// prunes its pcache), so a client cycling through subjects cannot grow it.
class PublishCache {
 public:
  static constexpr size_t kMaxEntries = 256;

  explicit PublishCache(PermissionsPtr perms = nullptr) { Reset(std::move(perms)); }
  void Reset(PermissionsPtr perms);
  const PermissionsPtr& permissions() const { return perms_; }

  bool Allowed(std::string_view subject) {
    if (subject == last_) return last_allowed_;
    return Slow(subject);
  }

 private:
  bool Slow(std::string_view subject);

  PermissionsPtr perms_;
  std::string last_;
  bool last_allowed_ = false;
  struct Entry {
    std::string subject;
    bool allowed;
  };
  std::vector<Entry> table_;  // open addressing, power-of-two size
  SubjectHash hash_{0x9e3779b97f4a7c15ull};
  size_t used_ = 0;
};

}  // namespace tern::core
