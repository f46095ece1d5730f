// The set of subscriptions at one trie node (its plain ones, its route
// ones, or one queue group's members). Internal to the index: sublist.cc is
// its only user, under the index's lock.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/subscription.h"

namespace tern::core::sublist_internal {

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

}  // namespace tern::core::sublist_internal
