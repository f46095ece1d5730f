// Helpers shared by the index and match-cache tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "core/sublist.h"

namespace tern::core {

inline SubscriptionPtr MakeSub(std::string subject, std::string queue = "") {
  auto sub = std::make_shared<Subscription>();
  sub->subject = std::move(subject);
  sub->queue = std::move(queue);
  return sub;
}

inline std::set<const Subscription*> Plain(const MatchResult& r) {
  std::set<const Subscription*> out;
  for (const auto& s : r.plain) out.insert(s.get());
  EXPECT_EQ(out.size(), r.plain.size()) << "duplicate in plain";
  return out;
}

inline const QueueGroupMatch* Group(const MatchResult& r, std::string_view name) {
  const QueueGroupMatch* found = nullptr;
  for (const auto& g : r.groups) {
    if (g.name == name) {
      EXPECT_EQ(found, nullptr) << "queue group listed twice: " << name;
      found = &g;
    }
  }
  return found;
}

inline std::set<const Subscription*> Members(const QueueGroupMatch* g) {
  std::set<const Subscription*> out;
  if (g == nullptr) return out;
  for (const auto& s : g->members) out.insert(s.get());
  EXPECT_EQ(out.size(), g->members.size()) << "duplicate member";
  return out;
}

}  // namespace tern::core
