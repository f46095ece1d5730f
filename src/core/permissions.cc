#include "core/permissions.h"

#include <map>

#include "core/subject_hash.h"
#include "proto/subject.h"

namespace tern::core {

// One trie level per token. Literal children are few per level in real
// rule sets (tens), so an ordered map with transparent lookup is enough:
// it runs only on a cache miss.
struct PatternSet::Node {
  std::map<std::string, std::unique_ptr<Node>, std::less<>> literal;
  std::unique_ptr<Node> star;  // `*` at this token
  // Patterns ending here, and patterns ending in `>` at this token.
  bool end_plain = false, tail_plain = false;
  std::vector<std::string> end_queues, tail_queues;
};

PatternSet::PatternSet() : root_(std::make_unique<Node>()) {}
PatternSet::~PatternSet() = default;
PatternSet::PatternSet(PatternSet&&) noexcept = default;
PatternSet& PatternSet::operator=(PatternSet&&) noexcept = default;

namespace {

std::string_view NextToken(std::string_view* rest) {
  size_t dot = rest->find('.');
  std::string_view token = rest->substr(0, dot);
  *rest = dot == std::string_view::npos ? std::string_view() : rest->substr(dot + 1);
  return token;
}

// nats-server's queueMatches: the literal name, or a wildcard queue entry
// that covers it.
bool QueueIn(std::string_view queue, const std::vector<std::string>& queues) {
  for (const std::string& q : queues) {
    if (q == queue || (proto::HasWildcard(q) && proto::SubjectMatches(q, queue))) return true;
  }
  return false;
}

void Collect(const std::vector<std::string>& queues, bool plain, std::string_view queue, PatternSet::Hit* hit) {
  hit->plain |= plain;
  if (!queues.empty()) {
    hit->has_queues = true;
    if (!queue.empty() && !hit->queue_match) hit->queue_match = QueueIn(queue, queues);
  }
}

// `rest`: the tokens not matched yet (at least one).
template <typename N>
void MatchLevel(const N* node, std::string_view rest, std::string_view queue, PatternSet::Hit* hit) {
  // `>` at this token covers everything that is left.
  Collect(node->tail_queues, node->tail_plain, queue, hit);
  std::string_view tail = rest;
  std::string_view token = NextToken(&tail);
  auto literal = node->literal.find(token);
  for (const N* child : {node->star.get(), literal == node->literal.end() ? nullptr : literal->second.get()}) {
    if (child == nullptr) continue;
    if (tail.empty()) {
      Collect(child->end_queues, child->end_plain, queue, hit);
    } else {
      MatchLevel(child, tail, queue, hit);
    }
  }
}

// Whether the pattern `inner` only names subjects that the wildcard
// subscription `outer` also matches (nats-server's subjectIsSubsetMatch).
bool IsSubsetMatch(std::string_view inner, std::string_view outer) {
  for (;;) {
    if (outer.empty() || inner.empty()) return outer.empty() && inner.empty();
    std::string_view o = NextToken(&outer), i = NextToken(&inner);
    if (proto::IsFullWildcard(o)) return true;
    if (proto::IsFullWildcard(i)) return false;
    if (!proto::IsPartialWildcard(o) && o != i) return false;
    if (outer.empty() != inner.empty()) return false;
  }
}

}  // namespace

bool PatternSet::Add(std::string_view entry) {
  std::string_view subject = entry, queue;
  if (size_t blank = entry.find(' '); blank != std::string_view::npos) {
    subject = entry.substr(0, blank);
    queue = entry.substr(blank + 1);
    while (!queue.empty() && queue.front() == ' ') queue.remove_prefix(1);
    while (!queue.empty() && queue.back() == ' ') queue.remove_suffix(1);
  }
  if (!proto::IsValidSubject(subject)) return false;
  Node* node = root_.get();
  std::string_view rest = subject;
  for (;;) {
    std::string_view token = NextToken(&rest);
    bool last = rest.empty();
    if (proto::IsFullWildcard(token)) {
      if (queue.empty()) {
        node->tail_plain = true;
      } else {
        node->tail_queues.emplace_back(queue);
      }
      break;
    }
    std::unique_ptr<Node>* next;
    if (proto::IsPartialWildcard(token)) {
      next = &node->star;
    } else {
      auto it = node->literal.find(token);
      if (it == node->literal.end()) it = node->literal.emplace(std::string(token), nullptr).first;
      next = &it->second;
    }
    if (*next == nullptr) *next = std::make_unique<Node>();
    node = next->get();
    if (last) {
      if (queue.empty()) {
        node->end_plain = true;
      } else {
        node->end_queues.emplace_back(queue);
      }
      break;
    }
  }
  if (queue.empty()) plain_.emplace_back(subject);
  ++size_;
  return true;
}

PatternSet::Hit PatternSet::Match(std::string_view subject, std::string_view queue) const {
  Hit hit;
  if (subject.empty()) return hit;
  MatchLevel(root_.get(), subject, queue, &hit);
  return hit;
}

bool PatternSet::AnyWithin(std::string_view subject) const {
  for (const std::string& p : plain_) {
    if (IsSubsetMatch(p, subject)) return true;
  }
  return false;
}

std::shared_ptr<const Permissions> Permissions::Compile(const PermissionRules& rules, std::string* error) {
  auto p = std::make_shared<Permissions>();
  p->rules_ = rules;
  p->responses_ = rules.responses;
  auto add = [error](PatternSet& set, const std::vector<std::string>& entries, std::string_view what) {
    for (const std::string& e : entries) {
      if (!set.Add(e)) {
        if (error != nullptr) *error = std::string(what) + ": '" + e + "' is not a valid subject";
        return false;
      }
    }
    return true;
  };
  if (!add(p->pub_allow_, rules.publish.allow, "publish.allow") ||
      !add(p->pub_deny_, rules.publish.deny, "publish.deny") ||
      !add(p->sub_allow_, rules.subscribe.allow, "subscribe.allow") ||
      !add(p->sub_deny_, rules.subscribe.deny, "subscribe.deny")) {
    return nullptr;
  }
  p->pub_allow_set_ = !rules.publish.allow.empty();
  p->sub_allow_set_ = !rules.subscribe.allow.empty();
  // As nats-server: a responder with no publish allow list may publish
  // only its responses (its allow list becomes empty, not absent).
  if (rules.responses && rules.publish.allow.empty()) p->pub_allow_set_ = true;
  return p;
}

bool Permissions::CanPublish(std::string_view subject) const {
  if (pub_allow_set_ && !pub_allow_.Matches(subject)) return false;
  return pub_deny_.empty() || !pub_deny_.Matches(subject);
}

bool Permissions::CanSubscribe(std::string_view subject, std::string_view queue, bool* filter) const {
  if (filter != nullptr) *filter = false;
  bool allowed = true;
  if (sub_allow_set_) {
    PatternSet::Hit hit = sub_allow_.Match(subject, queue);
    allowed = hit.plain;
    if (!queue.empty() && hit.has_queues) allowed = hit.queue_match;
  }
  if (allowed && !sub_deny_.empty()) {
    PatternSet::Hit hit = sub_deny_.Match(subject, queue);
    allowed = !hit.plain;
    if (!queue.empty() && hit.has_queues) allowed = !hit.queue_match;
    if (allowed && filter != nullptr && proto::HasWildcard(subject)) *filter = sub_deny_.AnyWithin(subject);
  }
  return allowed;
}

void PublishCache::Reset(PermissionsPtr perms) {
  perms_ = std::move(perms);
  last_.clear();
  last_allowed_ = false;
  table_.clear();
  used_ = 0;
}

bool PublishCache::Slow(std::string_view subject) {
  if (table_.empty()) table_.resize(kMaxEntries * 2);
  const size_t mask = table_.size() - 1;
  size_t i = hash_(subject) & mask;
  bool allowed;
  for (;;) {
    Entry& e = table_[i];
    if (e.subject.empty()) {
      allowed = perms_ == nullptr || perms_->CanPublish(subject);
      if (used_ >= kMaxEntries) {
        for (Entry& old : table_) old.subject.clear();
        used_ = 0;
        Entry& fresh = table_[hash_(subject) & mask];
        fresh.subject.assign(subject);
        fresh.allowed = allowed;
      } else {
        e.subject.assign(subject);
        e.allowed = allowed;
      }
      ++used_;
      break;
    }
    if (e.subject == subject) {
      allowed = e.allowed;
      break;
    }
    i = (i + 1) & mask;
  }
  last_.assign(subject);
  last_allowed_ = allowed;
  return allowed;
}

}  // namespace tern::core
