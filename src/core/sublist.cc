#include "core/sublist.h"

#include <algorithm>
#include <array>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <utility>

#include "proto/subject.h"

namespace tern::core {

using proto::IsFullWildcard;
using proto::IsPartialWildcard;
using proto::IsValidQueueName;
using proto::IsValidSubject;
using proto::SubjectTokens;

namespace sublist_internal {

// The subscriptions at one node (plain, or one queue group's members). Most
// nodes hold exactly one, so that one sits inline and costs no allocation;
// two or more move to a vector, which copies straight into a MatchResult. An
// identity index joins the vector past kIndexFrom members, so thousands of
// subscribers on one subject still insert and remove in O(1). Order is not
// kept: removal swaps the last member into the hole.
class SubSet {
 public:
  bool empty() const { return !one_ && !many_; }
  std::span<const SubscriptionPtr> items() const {
    if (many_) return many_->items;
    if (one_) return {&one_, 1};
    return {};
  }

  bool Add(const SubscriptionPtr& sub) {
    if (!many_) {
      if (!one_) {
        one_ = sub;
        return true;
      }
      if (one_ == sub) return false;
      many_ = std::make_unique<Many>();
      many_->items.reserve(2);
      many_->items.push_back(std::move(one_));
      one_.reset();
    }
    return many_->Add(sub);
  }

  bool Remove(const Subscription* sub) {
    if (!many_) {
      if (!one_ || one_.get() != sub) return false;
      one_.reset();
      return true;
    }
    if (!many_->Remove(sub)) return false;
    if (many_->items.size() == 1) {
      one_ = std::move(many_->items.front());
      many_.reset();
    }
    return true;
  }

 private:
  struct Many {
    static constexpr size_t kIndexFrom = 32;
    static constexpr size_t kNotFound = static_cast<size_t>(-1);
    std::vector<SubscriptionPtr> items;
    std::unique_ptr<std::unordered_map<const Subscription*, uint32_t>> index;

    size_t Find(const Subscription* sub) const {
      if (index) {
        auto it = index->find(sub);
        return it == index->end() ? kNotFound : it->second;
      }
      for (size_t i = 0; i < items.size(); ++i) {
        if (items[i].get() == sub) return i;
      }
      return kNotFound;
    }

    bool Add(const SubscriptionPtr& sub) {
      if (Find(sub.get()) != kNotFound) return false;
      if (index) index->emplace(sub.get(), static_cast<uint32_t>(items.size()));
      items.push_back(sub);
      if (!index && items.size() >= kIndexFrom) {
        index = std::make_unique<std::unordered_map<const Subscription*, uint32_t>>();
        index->reserve(items.size() * 2);
        for (size_t i = 0; i < items.size(); ++i) index->emplace(items[i].get(), static_cast<uint32_t>(i));
      }
      return true;
    }

    bool Remove(const Subscription* sub) {
      size_t pos = Find(sub);
      if (pos == kNotFound) return false;
      if (pos + 1 != items.size()) {
        items[pos] = std::move(items.back());
        if (index) (*index)[items[pos].get()] = static_cast<uint32_t>(pos);
      }
      items.pop_back();
      if (index) {
        index->erase(sub);
        if (items.size() < kIndexFrom / 2) index.reset();
      }
      // Give memory back after a crowd leaves a subject.
      if (items.size() < items.capacity() / 4) items.shrink_to_fit();
      return true;
    }
  };

  SubscriptionPtr one_;         // the only member, when there is one
  std::unique_ptr<Many> many_;  // all members, when there are two or more
};

struct QueueGroup {
  std::string name;
  SubSet members;
};

struct Node {
  std::unique_ptr<Level> next;  // only when a longer subject passes through
  SubSet plain;
  // Queue groups are rare next to plain subscriptions: keep them out of line
  // so a plain node pays one pointer. Few names per node, so a linear search.
  std::unique_ptr<std::vector<QueueGroup>> queues;

  bool has_subs() const { return !plain.empty() || queues != nullptr; }
  bool empty() const { return !has_subs() && next == nullptr; }
};

struct TokenHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

struct Level {
  // Most levels have a handful of literal children (below the first token
  // or two a trie is mostly chains), so those sit in a small vector searched
  // linearly: no bucket array, no hashing. A level that grows past
  // kSmallMax moves them into a hash map, and back when it shrinks.
  static constexpr size_t kSmallMax = 8;
  using Small = std::vector<std::pair<std::string, Node>>;
  using Big = std::unordered_map<std::string, Node, TokenHash, std::equal_to<>>;
  Small small;
  std::unique_ptr<Big> big;
  std::unique_ptr<Node> pwc;  // '*'
  std::unique_ptr<Node> fwc;  // '>'

  bool empty() const { return small.empty() && !big && !pwc && !fwc; }

  const Node* FindLiteral(std::string_view token) const {
    if (big) {
      auto it = big->find(token);
      return it == big->end() ? nullptr : &it->second;
    }
    for (const auto& [t, node] : small) {
      if (t == token) return &node;
    }
    return nullptr;
  }

  Node* Find(std::string_view token) {
    if (IsPartialWildcard(token)) return pwc.get();
    if (IsFullWildcard(token)) return fwc.get();
    return const_cast<Node*>(FindLiteral(token));
  }

  Node& FindOrAdd(std::string_view token) {
    if (IsPartialWildcard(token)) {
      if (!pwc) pwc = std::make_unique<Node>();
      return *pwc;
    }
    if (IsFullWildcard(token)) {
      if (!fwc) fwc = std::make_unique<Node>();
      return *fwc;
    }
    if (Node* node = const_cast<Node*>(FindLiteral(token))) return *node;
    if (big) return big->try_emplace(std::string(token)).first->second;
    if (small.size() < kSmallMax) return small.emplace_back(std::string(token), Node()).second;
    big = std::make_unique<Big>();
    big->reserve(small.size() * 2);
    for (auto& [t, node] : small) big->emplace(std::move(t), std::move(node));
    Small().swap(small);
    return big->try_emplace(std::string(token)).first->second;
  }

  void Erase(std::string_view token) {
    if (IsPartialWildcard(token)) {
      pwc.reset();
    } else if (IsFullWildcard(token)) {
      fwc.reset();
    } else if (big) {
      if (auto it = big->find(token); it != big->end()) big->erase(it);
      if (big->size() <= kSmallMax / 2) {
        small.reserve(big->size());
        for (auto& [t, node] : *big) small.emplace_back(t, std::move(node));
        big.reset();
      }
    } else {
      auto it = std::find_if(small.begin(), small.end(), [&](const auto& e) { return e.first == token; });
      if (it == small.end()) return;
      if (it + 1 != small.end()) *it = std::move(small.back());
      small.pop_back();
      if (small.empty()) Small().swap(small);
    }
  }

  template <typename F>
  void ForEachLiteral(F&& f) const {
    if (big) {
      for (const auto& [t, node] : *big) f(node);
    } else {
      for (const auto& [t, node] : small) f(node);
    }
  }
};

namespace {

// Walks every node whose subscriptions match the literal subject in `tokens`
// (positioned at the tokens still to match against `level`) and calls
// visit(node) on each; a visitor returning true stops the walk.
template <typename Visit>
bool Walk(const Level* level, SubjectTokens tokens, Visit& visit) {
  const Node* node = nullptr;
  const Node* pwc = nullptr;
  while (!tokens.done()) {
    if (level == nullptr) return false;
    std::string_view token = tokens.Next();
    if (level->fwc && visit(*level->fwc)) return true;
    pwc = level->pwc.get();
    if (pwc && pwc->next && !tokens.done() && Walk(pwc->next.get(), tokens, visit)) return true;
    node = level->FindLiteral(token);
    level = node ? node->next.get() : nullptr;
  }
  if (node && visit(*node)) return true;
  if (pwc && visit(*pwc)) return true;
  return false;
}

// Subjects with an empty token ("a..b", ".a", "a.", "") match nothing, as in
// nats-server; checked up front so the walk need not care.
bool HasEmptyToken(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return true;
  return s.find("..") != std::string_view::npos;
}

// Gathers the matching nodes first and builds the result second, so every
// vector in it is allocated once at its final size: a match costs the result,
// its plain list and one list per queue group, however many nodes matched.
class Collector {
 public:
  bool operator()(const Node& node) {
    if (!node.has_subs()) return false;
    if (count_ < kInline) {
      inline_[count_] = &node;
    } else {
      overflow_.push_back(&node);
    }
    ++count_;
    return false;
  }

  MatchResultPtr Build() const {
    if (count_ == 0) return nullptr;
    auto result = std::make_shared<MatchResult>();
    size_t plain = 0;
    bool queues = false;
    ForEach([&](const Node& n) {
      plain += n.plain.items().size();
      queues |= n.queues != nullptr;
    });
    result->plain.reserve(plain);
    ForEach([&](const Node& n) {
      auto items = n.plain.items();
      result->plain.insert(result->plain.end(), items.begin(), items.end());
    });
    if (queues) BuildGroups(result.get());
    return result;
  }

 private:
  static constexpr size_t kInline = 16;

  template <typename F>
  void ForEach(F&& f) const {
    for (size_t i = 0; i < count_ && i < kInline; ++i) f(*inline_[i]);
    for (const Node* n : overflow_) f(*n);
  }

  void BuildGroups(MatchResult* result) const {
    auto& groups = result->groups;
    auto slot = [&](const std::string& name) -> QueueGroupMatch& {
      for (auto& g : groups) {
        if (g.name == name) return g;
      }
      return groups.emplace_back(QueueGroupMatch{name, {}});
    };
    // Size first, then fill; the name search stays linear because a subject
    // rarely reaches more than a few distinct groups.
    std::vector<size_t> sizes;
    ForEach([&](const Node& n) {
      if (!n.queues) return;
      for (const QueueGroup& g : *n.queues) {
        QueueGroupMatch& m = slot(g.name);
        size_t i = &m - groups.data();
        if (sizes.size() <= i) sizes.resize(i + 1);
        sizes[i] += g.members.items().size();
      }
    });
    for (size_t i = 0; i < groups.size(); ++i) groups[i].members.reserve(sizes[i]);
    ForEach([&](const Node& n) {
      if (!n.queues) return;
      for (const QueueGroup& g : *n.queues) {
        auto items = g.members.items();
        auto& members = slot(g.name).members;
        members.insert(members.end(), items.begin(), items.end());
      }
    });
  }

  std::array<const Node*, kInline> inline_;
  std::vector<const Node*> overflow_;
  size_t count_ = 0;
};

// Removes `sub` from the node at the end of `tokens`, pruning nodes that end up
// empty on the way back up. Recursion depth is the token count.
bool RemoveFrom(Level* level, SubjectTokens tokens, const Subscription& sub) {
  std::string_view token = tokens.Next();
  Node* node = level->Find(token);
  if (node == nullptr) return false;
  bool found = false;
  if (!tokens.done()) {
    found = node->next && RemoveFrom(node->next.get(), tokens, sub);
    if (found && node->next->empty()) node->next.reset();
  } else if (sub.queue.empty()) {
    found = node->plain.Remove(&sub);
  } else if (node->queues) {
    auto& groups = *node->queues;
    auto it = std::find_if(groups.begin(), groups.end(), [&](const QueueGroup& g) { return g.name == sub.queue; });
    if (it != groups.end() && it->members.Remove(&sub)) {
      found = true;
      if (it->members.empty()) {
        if (it + 1 != groups.end()) *it = std::move(groups.back());
        groups.pop_back();
        if (groups.empty()) node->queues.reset();
      }
    }
  }
  if (found && node->empty()) level->Erase(token);
  return found;
}

size_t CountNodes(const Level& level) {
  size_t n = 0;
  auto add = [&n](const Node& node) { n += 1 + (node.next ? CountNodes(*node.next) : 0); };
  level.ForEachLiteral(add);
  if (level.pwc) add(*level.pwc);
  if (level.fwc) add(*level.fwc);
  return n;
}

// The result for "nobody": aliases a static object with no control block, so
// handing it out touches no shared reference count across workers.
const MatchResult kNoMatch;
MatchResultPtr NoMatch() { return MatchResultPtr(MatchResultPtr(), &kNoMatch); }

}  // namespace
}  // namespace sublist_internal

using sublist_internal::Level;
using sublist_internal::Node;

Sublist::Sublist() : root_(std::make_unique<Level>()) {}
Sublist::~Sublist() = default;

bool Sublist::Insert(const SubscriptionPtr& sub) {
  if (!sub || !IsValidSubject(sub->subject)) return false;
  if (!sub->queue.empty() && !IsValidQueueName(sub->queue)) return false;
  std::unique_lock lock(mu_);
  Level* level = root_.get();
  Node* node = nullptr;
  for (SubjectTokens tokens(sub->subject); !tokens.done();) {
    node = &level->FindOrAdd(tokens.Next());
    if (tokens.done()) break;
    if (!node->next) node->next = std::make_unique<Level>();
    level = node->next.get();
  }
  bool added;
  if (sub->queue.empty()) {
    added = node->plain.Add(sub);
  } else {
    if (!node->queues) node->queues = std::make_unique<std::vector<sublist_internal::QueueGroup>>();
    auto& groups = *node->queues;
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.name == sub->queue; });
    if (it == groups.end()) {
      groups.push_back({sub->queue, {}});
      it = groups.end() - 1;
    }
    added = it->members.Add(sub);
  }
  if (added) {
    ++count_;
    generation_.fetch_add(1, std::memory_order_release);
  }
  return added;
}

bool Sublist::Remove(const Subscription& sub) {
  if (sub.subject.empty()) return false;
  std::unique_lock lock(mu_);
  if (!sublist_internal::RemoveFrom(root_.get(), SubjectTokens(sub.subject), sub)) return false;
  --count_;
  generation_.fetch_add(1, std::memory_order_release);
  return true;
}

MatchResultPtr Sublist::Match(std::string_view subject) const {
  uint64_t generation;
  return Match(subject, &generation);
}

MatchResultPtr Sublist::Match(std::string_view subject, uint64_t* generation) const {
  std::shared_lock lock(mu_);
  // Read under the lock: writers bump it only while holding the lock
  // exclusively, so it names exactly the trie this walk sees.
  *generation = generation_.load(std::memory_order_relaxed);
  if (sublist_internal::HasEmptyToken(subject)) return sublist_internal::NoMatch();
  sublist_internal::Collector collect;
  sublist_internal::Walk(root_.get(), SubjectTokens(subject), collect);
  MatchResultPtr result = collect.Build();
  return result ? result : sublist_internal::NoMatch();
}

bool Sublist::HasInterest(std::string_view subject) const {
  if (sublist_internal::HasEmptyToken(subject)) return false;
  auto any = [](const Node& node) { return node.has_subs(); };
  std::shared_lock lock(mu_);
  return sublist_internal::Walk(root_.get(), SubjectTokens(subject), any);
}

size_t Sublist::count() const {
  std::shared_lock lock(mu_);
  return count_;
}

size_t Sublist::node_count() const {
  std::shared_lock lock(mu_);
  return sublist_internal::CountNodes(*root_);
}

MatchCache::MatchCache(const Sublist& sublist, size_t capacity) : sublist_(sublist), capacity_(capacity) {}

const MatchResult& MatchCache::Lookup(std::string_view subject) {
  uint64_t generation = sublist_.generation();
  if (generation != generation_) {
    Clear();
    generation_ = generation;
  }
  if (auto it = entries_.find(subject); it != entries_.end()) {
    ++hits_;
    return *it->second;
  }
  ++misses_;
  MatchResultPtr result = sublist_.Match(subject, &generation);
  if (generation != generation_) {
    // A writer got in between the check above and the match: the result is
    // newer than the entries, so they go.
    Clear();
    generation_ = generation;
  }
  if (capacity_ == 0) {
    last_ = std::move(result);
    return *last_;
  }
  if (entries_.size() >= capacity_) EvictOne();
  return *entries_.emplace(std::string(subject), std::move(result)).first->second;
}

void MatchCache::Refresh() {
  uint64_t generation = sublist_.generation();
  if (generation == generation_) return;
  Clear();
  generation_ = generation;
}

void MatchCache::Clear() {
  last_.reset();
  // clear() also zeroes the whole bucket array; after a burst of misses it
  // is large while the cache refills slowly between changes, so erase the
  // few entries one by one instead.
  if (entries_.size() * 8 < entries_.bucket_count()) {
    while (!entries_.empty()) entries_.erase(entries_.begin());
  } else {
    entries_.clear();
  }
}

void MatchCache::EvictOne() {
  const size_t buckets = entries_.bucket_count();
  // Buckets fill at load factor <= 1 when the cache is full, so a few steps
  // from a random start find an occupied one.
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  size_t b = rng_ % buckets;
  for (size_t i = 0; i < buckets; ++i) {
    if (entries_.begin(b) != entries_.end(b)) {
      entries_.erase(entries_.find(std::string_view(entries_.begin(b)->first)));
      return;
    }
    b = b + 1 == buckets ? 0 : b + 1;
  }
}

}  // namespace tern::core
