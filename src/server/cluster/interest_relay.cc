#include "server/cluster/interest_relay.h"

#include <algorithm>

#include "core/sublist.h"
#include "proto/route/encoder.h"
#include "server/connection.h"

namespace tern::server {
namespace {

std::string Key(std::string_view subject, std::string_view queue) {
  std::string key;
  key.reserve(subject.size() + 1 + queue.size());
  return key.append(subject).append(" ").append(queue);
}

}  // namespace

InterestRelay::InterestRelay(const core::Sublist& sublist, const core::Sink* local_only)
    : sublist_(sublist), local_only_(local_only) {}

bool InterestRelay::OnChange(const core::Subscription& sub, bool first_or_last) {
  if (sub.sink == nullptr || sub.sink->IsRoute() || sub.sink.get() == local_only_) return false;
  // A plain subscription matters to peers only when it is the first or the
  // last for its subject; a queue member also changes its group's weight.
  if (!first_or_last && sub.queue.empty()) return false;
  std::string key = Key(sub.subject, sub.queue);
  std::lock_guard lock(pending_mu_);
  const bool was_empty = dirty_.empty();
  if (dirty_.insert(std::move(key)).second) marked_.fetch_add(1, std::memory_order_acq_rel);
  return was_empty;
}

void InterestRelay::Flush() {
  if (!pending()) return;
  std::lock_guard lock(flush_mu_);
  FlushLocked();
}

void InterestRelay::FlushLocked() {
  std::unordered_set<std::string, StringHash, std::equal_to<>> batch;
  uint64_t mark;
  {
    std::lock_guard lock(pending_mu_);
    batch.swap(dirty_);
    mark = marked_.load(std::memory_order_relaxed);
  }
  if (!batch.empty() && !routes_.empty()) {
    scratch_.clear();
    for (const std::string& key : batch) {
      const size_t space = key.find(' ');
      const std::string_view subject(key.data(), space);
      const std::string_view queue(key.data() + space + 1, key.size() - space - 1);
      const size_t count = sublist_.LocalCount(subject, queue, local_only_);
      if (count > 0) {
        proto::route::AppendSubscribe(scratch_, subject, queue,
                                      static_cast<uint32_t>(std::min<size_t>(count, UINT32_MAX)));
      } else {
        proto::route::AppendUnsubscribe(scratch_, subject, queue);
      }
    }
    for (const Route& route : routes_) {
      route.conn->WriteControl([this](io::OutputBuffer& out) { out.Append(scratch_); });
    }
    if (scratch_.capacity() > 64 * 1024) std::string().swap(scratch_);
  }
  flushed_.store(mark, std::memory_order_release);
}

size_t InterestRelay::AddRoute(uint64_t id, std::shared_ptr<Connection> conn) {
  std::lock_guard lock(flush_mu_);
  FlushLocked();
  // Built outside the connection's lock (the index's lock comes first in
  // the order) and handed over by reference: a big table is not copied twice.
  auto resync = std::make_shared<std::string>();
  size_t count = 0;
  sublist_.ForEachLocal(local_only_, [&](std::string_view subject, std::string_view queue, size_t n) {
    proto::route::AppendSubscribe(*resync, subject, queue, static_cast<uint32_t>(std::min<size_t>(n, UINT32_MAX)));
    ++count;
  });
  proto::route::AppendSyncDone(*resync, count);
  std::shared_ptr<const std::string> bytes = std::move(resync);
  conn->WriteControl([&](io::OutputBuffer& out) { out.AppendShared(bytes, 0, bytes->size()); });
  routes_.push_back({id, std::move(conn)});
  return count;
}

void InterestRelay::SendToAll(const std::string& line, bool queue_weights) {
  std::lock_guard lock(flush_mu_);
  FlushLocked();
  std::string bytes = line;
  if (queue_weights) {
    sublist_.ForEachLocal(local_only_, [&](std::string_view subject, std::string_view queue, size_t n) {
      if (!queue.empty()) {
        proto::route::AppendSubscribe(bytes, subject, queue, static_cast<uint32_t>(std::min<size_t>(n, UINT32_MAX)));
      }
    });
  }
  for (const Route& route : routes_) route.conn->WriteControl([&](io::OutputBuffer& out) { out.Append(bytes); });
}

void InterestRelay::RemoveRoute(uint64_t id) {
  std::lock_guard lock(flush_mu_);
  std::erase_if(routes_, [id](const Route& r) { return r.id == id; });
}

std::vector<uint64_t> InterestRelay::Barrier(uint64_t token) {
  std::lock_guard lock(flush_mu_);
  FlushLocked();
  std::vector<uint64_t> ids;
  std::string line;
  proto::route::AppendBarrier(line, token);
  for (const Route& route : routes_) {
    if (route.conn->WriteControl([&](io::OutputBuffer& out) { out.Append(line); })) ids.push_back(route.id);
  }
  return ids;
}

size_t InterestRelay::route_count() {
  std::lock_guard lock(flush_mu_);
  return routes_.size();
}

}  // namespace tern::server
