#include "core/sublist.h"

#include <algorithm>
#include <array>
#include <mutex>
#include <shared_mutex>
#include <utility>

#include "core/sub_set.h"
#include "proto/subject.h"

namespace tern::core {

using proto::HasWildcard;
using proto::IsFullWildcard;
using proto::IsPartialWildcard;
using proto::IsValidQueueName;
using proto::IsValidSubject;
using proto::SubjectTokens;

namespace sublist_internal {

struct QueueGroup {
  std::string name;
  SubSet members;  // local sinks
  SubSet remote;   // route sinks
  std::shared_ptr<QueueCursor> cursor = std::make_shared<QueueCursor>();
  bool empty() const { return members.empty() && remote.empty(); }
};

// Route interest and queue groups are rare next to plain local
// subscriptions: kept out of line so a plain node pays one pointer. Few
// queue names per node, so a linear search.
struct RareSubs {
  SubSet routes;
  std::vector<QueueGroup> queues;
  bool empty() const { return routes.empty() && queues.empty(); }
};

struct Node {
  std::unique_ptr<Level> next;  // only when a longer subject passes through
  SubSet plain;                 // local sinks
  std::unique_ptr<RareSubs> rare;

  bool has_subs() const { return !plain.empty() || rare != nullptr; }
  bool empty() const { return !has_subs() && next == nullptr; }
};

// One slot of the change ring.
struct LogEntry {
  uint64_t generation = 0;
  std::string subject;
  bool wildcard = false;
  bool everything = false;  // a batch: caches drop all
};

bool IsRouteSub(const Subscription& sub) { return sub.sink != nullptr && sub.sink->IsRoute(); }

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
    bool rare = false;
    ForEach([&](const Node& n) {
      plain += n.plain.items().size();
      rare |= n.rare != nullptr;
    });
    result->plain.reserve(plain);
    ForEach([&](const Node& n) {
      auto items = n.plain.items();
      result->plain.insert(result->plain.end(), items.begin(), items.end());
    });
    if (rare) {
      BuildRoutes(result.get());
      BuildGroups(result.get());
    }
    result->bytes = Footprint(*result);
    return result;
  }

 private:
  static constexpr size_t kInline = 16;

  template <typename F>
  void ForEach(F&& f) const {
    for (size_t i = 0; i < count_ && i < kInline; ++i) f(*inline_[i]);
    for (const Node* n : overflow_) f(*n);
  }

  // One entry per route sink: a route forwards the message once, however
  // many of its subscriptions match (the peer matches again locally).
  void BuildRoutes(MatchResult* result) const {
    auto& routes = result->routes;
    ForEach([&](const Node& n) {
      if (!n.rare) return;
      for (const SubscriptionPtr& sub : n.rare->routes.items()) {
        auto same = [&](const SubscriptionPtr& r) { return r->sink == sub->sink; };
        if (std::none_of(routes.begin(), routes.end(), same)) routes.push_back(sub);
      }
    });
  }

  void BuildGroups(MatchResult* result) const {
    auto& groups = result->groups;
    auto slot = [&](const QueueGroup& g) -> QueueGroupMatch& {
      for (auto& m : groups) {
        if (m.name == g.name) return m;
      }
      return groups.emplace_back(QueueGroupMatch{g.name, {}, 0, g.cursor});
    };
    // Size first, then fill; the name search stays linear because a subject
    // rarely reaches more than a few distinct groups.
    std::vector<size_t> sizes;
    ForEach([&](const Node& n) {
      if (!n.rare) return;
      for (const QueueGroup& g : n.rare->queues) {
        QueueGroupMatch& m = slot(g);
        size_t i = &m - groups.data();
        if (sizes.size() <= i) sizes.resize(i + 1);
        sizes[i] += g.members.items().size() + g.remote.items().size();
      }
    });
    for (size_t i = 0; i < groups.size(); ++i) groups[i].members.reserve(sizes[i]);
    // Every node's local members before any route member, so a pick can
    // prefer members on this node by looking at a prefix.
    for (bool remote : {false, true}) {
      ForEach([&](const Node& n) {
        if (!n.rare) return;
        for (const QueueGroup& g : n.rare->queues) {
          auto items = (remote ? g.remote : g.members).items();
          auto& members = slot(g).members;
          members.insert(members.end(), items.begin(), items.end());
        }
      });
      if (!remote) {
        for (auto& m : groups) m.local = static_cast<uint32_t>(m.members.size());
      }
    }
  }

  static size_t Footprint(const MatchResult& r) {
    constexpr size_t kPtr = sizeof(SubscriptionPtr);
    size_t bytes = sizeof(MatchResult) + 16 /* control block */ + (r.plain.capacity() + r.routes.capacity()) * kPtr +
                   r.groups.capacity() * sizeof(QueueGroupMatch);
    for (const auto& g : r.groups) bytes += g.members.capacity() * kPtr + (g.name.size() > 15 ? g.name.capacity() : 0);
    return bytes;
  }

  std::array<const Node*, kInline> inline_;
  std::vector<const Node*> overflow_;
  size_t count_ = 0;
};

// Removes `sub` from the node at the end of `tokens`, pruning nodes that end up
// empty on the way back up. Recursion depth is the token count.
bool RemoveFrom(Level* level, SubjectTokens tokens, const Subscription& sub, bool route, bool* last) {
  std::string_view token = tokens.Next();
  Node* node = level->Find(token);
  if (node == nullptr) return false;
  bool found = false;
  if (!tokens.done()) {
    found = node->next && RemoveFrom(node->next.get(), tokens, sub, route, last);
    if (found && node->next->empty()) node->next.reset();
  } else if (sub.queue.empty() && !route) {
    found = node->plain.Remove(&sub);
    *last = node->plain.empty();
  } else if (node->rare) {
    RareSubs& rare = *node->rare;
    if (sub.queue.empty()) {
      found = rare.routes.Remove(&sub);
      *last = rare.routes.empty();
    } else {
      auto& groups = rare.queues;
      auto it = std::find_if(groups.begin(), groups.end(), [&](const QueueGroup& g) { return g.name == sub.queue; });
      if (it != groups.end()) {
        SubSet& set = route ? it->remote : it->members;
        found = set.Remove(&sub);
        *last = set.empty();
        if (found && it->empty()) {
          if (it + 1 != groups.end()) *it = std::move(groups.back());
          groups.pop_back();
        }
      }
    }
    if (found && rare.empty()) node->rare.reset();
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

void ChangeSet::Add(std::string_view subject, bool wildcard) {
  spans_.push_back({static_cast<uint32_t>(text_.size()), static_cast<uint32_t>(subject.size()), wildcard});
  text_.append(subject);
  wildcards_ += wildcard;
}

Sublist::Sublist()
    : root_(std::make_unique<Level>()), log_(std::make_unique<sublist_internal::LogEntry[]>(kChangeLogSize)) {}
Sublist::~Sublist() = default;

bool Sublist::Insert(const SubscriptionPtr& sub, bool* first) {
  bool ignored;
  if (first == nullptr) first = &ignored;
  *first = false;
  if (!sub || !IsValidSubject(sub->subject)) return false;
  if (!sub->queue.empty() && !IsValidQueueName(sub->queue)) return false;
  std::unique_lock lock(mu_);
  if (!InsertLocked(sub, first)) return false;
  Advance(sub.get());
  return true;
}

size_t Sublist::InsertBatch(std::span<const SubscriptionPtr> subs, std::vector<InterestChange>* changes) {
  if (changes != nullptr) changes->assign(subs.size(), InterestChange{});
  // Validated before locking: the lock is held for the trie work alone.
  std::vector<bool> valid(subs.size());
  for (size_t i = 0; i < subs.size(); ++i) {
    const SubscriptionPtr& sub = subs[i];
    valid[i] = sub && IsValidSubject(sub->subject) && (sub->queue.empty() || IsValidQueueName(sub->queue));
  }
  size_t added = 0;
  std::unique_lock lock(mu_);
  for (size_t i = 0; i < subs.size(); ++i) {
    if (!valid[i]) continue;
    bool first = false;
    if (!InsertLocked(subs[i], &first)) continue;
    ++added;
    if (changes != nullptr) (*changes)[i] = {true, first};
  }
  if (added > 0) Advance(nullptr);
  return added;
}

bool Sublist::InsertLocked(const SubscriptionPtr& sub, bool* first) {
  Level* level = root_.get();
  Node* node = nullptr;
  for (SubjectTokens tokens(sub->subject); !tokens.done();) {
    node = &level->FindOrAdd(tokens.Next());
    if (tokens.done()) break;
    if (!node->next) node->next = std::make_unique<Level>();
    level = node->next.get();
  }
  const bool route = sublist_internal::IsRouteSub(*sub);
  bool added;
  if (sub->queue.empty() && !route) {
    *first = node->plain.empty();
    added = node->plain.Add(sub);
  } else {
    if (!node->rare) node->rare = std::make_unique<sublist_internal::RareSubs>();
    sublist_internal::RareSubs& rare = *node->rare;
    if (sub->queue.empty()) {
      *first = rare.routes.empty();
      added = rare.routes.Add(sub);
    } else {
      auto& groups = rare.queues;
      auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.name == sub->queue; });
      if (it == groups.end()) {
        groups.emplace_back().name = sub->queue;
        it = groups.end() - 1;
      }
      sublist_internal::SubSet& set = route ? it->remote : it->members;
      *first = set.empty();
      added = set.Add(sub);
    }
    if (!added && rare.empty()) node->rare.reset();
  }
  if (!added) *first = false;
  if (added) {
    ++count_;
    ++inserts_;
  }
  return added;
}

bool Sublist::Remove(const Subscription& sub, bool* last) {
  bool ignored;
  if (last == nullptr) last = &ignored;
  *last = false;
  if (sub.subject.empty()) return false;
  const bool route = sublist_internal::IsRouteSub(sub);
  std::unique_lock lock(mu_);
  if (!sublist_internal::RemoveFrom(root_.get(), SubjectTokens(sub.subject), sub, route, last)) {
    *last = false;
    return false;
  }
  --count_;
  ++removes_;
  Advance(&sub);
  return true;
}

void Sublist::Advance(const Subscription* changed) {
  const uint64_t generation = generation_.load(std::memory_order_relaxed) + 1;
  sublist_internal::LogEntry& entry = log_[generation % kChangeLogSize];
  entry.generation = generation;
  entry.everything = changed == nullptr;
  if (changed != nullptr) {
    entry.subject.assign(changed->subject);  // reuses the slot's capacity
    entry.wildcard = HasWildcard(changed->subject);
  }
  // Released while still locked: a reader that sees this generation and
  // then takes the lock finds the entry written.
  generation_.store(generation, std::memory_order_release);
}

void Sublist::CollectLocked(uint64_t since, uint64_t now, ChangeSet* changes) const {
  changes->Clear();
  if (now - since > kChangeLogSize) {
    changes->reset_ = true;
    return;
  }
  for (uint64_t g = since + 1; g <= now; ++g) {
    const sublist_internal::LogEntry& entry = log_[g % kChangeLogSize];
    if (entry.generation != g || entry.everything) {
      changes->reset_ = true;
      return;
    }
    changes->Add(entry.subject, entry.wildcard);
  }
}

uint64_t Sublist::ChangesSince(uint64_t since, ChangeSet* changes) const {
  std::shared_lock lock(mu_);
  const uint64_t now = generation_.load(std::memory_order_relaxed);
  CollectLocked(since, now, changes);
  return now;
}

MatchResultPtr Sublist::Match(std::string_view subject) const {
  uint64_t generation;
  return Match(subject, &generation);
}

MatchResultPtr Sublist::Match(std::string_view subject, uint64_t* generation) const {
  return Match(subject, 0, nullptr, generation);
}

MatchResultPtr Sublist::Match(std::string_view subject, uint64_t since, ChangeSet* changes,
                              uint64_t* generation) const {
  std::shared_lock lock(mu_);
  // Read under the lock: writers bump it only while holding the lock
  // exclusively, so it names exactly the trie this walk sees.
  *generation = generation_.load(std::memory_order_relaxed);
  if (changes != nullptr && *generation != since) CollectLocked(since, *generation, changes);
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

namespace {

size_t CountExcept(const sublist_internal::SubSet& set, const Sink* except) {
  auto items = set.items();
  if (except == nullptr) return items.size();
  return static_cast<size_t>(std::count_if(items.begin(), items.end(),
                                           [except](const SubscriptionPtr& s) { return s->sink.get() != except; }));
}

void VisitLocal(const Node& node, std::string& path, const Sink* except, const Sublist::LocalVisitor& fn);

void VisitLevel(const Level& level, std::string& path, const Sink* except, const Sublist::LocalVisitor& fn) {
  auto child = [&](std::string_view token, const Node& node) {
    const size_t mark = path.size();
    if (!path.empty()) path.push_back('.');
    path.append(token);
    VisitLocal(node, path, except, fn);
    path.resize(mark);
  };
  if (level.big) {
    for (const auto& [token, node] : *level.big) child(token, node);
  } else {
    for (const auto& [token, node] : level.small) child(token, node);
  }
  if (level.pwc) child("*", *level.pwc);
  if (level.fwc) child(">", *level.fwc);
}

void VisitLocal(const Node& node, std::string& path, const Sink* except, const Sublist::LocalVisitor& fn) {
  if (size_t n = CountExcept(node.plain, except); n > 0) fn(path, {}, n);
  if (node.rare) {
    for (const auto& group : node.rare->queues) {
      if (size_t n = CountExcept(group.members, except); n > 0) fn(path, group.name, n);
    }
  }
  if (node.next) VisitLevel(*node.next, path, except, fn);
}

}  // namespace

size_t Sublist::LocalCount(std::string_view subject, std::string_view queue, const Sink* except) const {
  if (sublist_internal::HasEmptyToken(subject)) return 0;
  std::shared_lock lock(mu_);
  const Level* level = root_.get();
  const Node* node = nullptr;
  for (SubjectTokens tokens(subject); !tokens.done();) {
    if (level == nullptr) return 0;
    node = const_cast<Level*>(level)->Find(tokens.Next());
    if (node == nullptr) return 0;
    level = node->next.get();
  }
  if (node == nullptr) return 0;
  if (queue.empty()) return CountExcept(node->plain, except);
  if (!node->rare) return 0;
  for (const auto& group : node->rare->queues) {
    if (group.name == queue) return CountExcept(group.members, except);
  }
  return 0;
}

void Sublist::ForEachLocal(const Sink* except, const LocalVisitor& fn) const {
  std::shared_lock lock(mu_);
  std::string path;
  VisitLevel(*root_, path, except, fn);
}

size_t Sublist::count() const {
  std::shared_lock lock(mu_);
  return count_;
}

SublistStats Sublist::stats() const {
  std::shared_lock lock(mu_);
  return {count_, inserts_, removes_};
}

size_t Sublist::node_count() const {
  std::shared_lock lock(mu_);
  return sublist_internal::CountNodes(*root_);
}

}  // namespace tern::core
