// /subsz (and /subscriptionsz): the subscription index's counts and the
// match caches' figures, with nats-server's names; subs=1 lists the
// subscriptions (paged), test=subject keeps those a publish there reaches.
#include <algorithm>

#include "monitor/json.h"
#include "monitor/snapshot.h"
#include "proto/subject.h"
#include "server/gather.h"
#include "server/worker.h"

namespace tern::monitor {
namespace {

using nlohmann::ordered_json;

constexpr uint64_t kDefaultLimit = 1024;  // nats-server's DefaultSubListSize

struct CacheFigures {
  size_t entries = 0, hits = 0, misses = 0, max_fanout = 0, fanout_sum = 0;
};

}  // namespace

Response Subsz(Monitor& monitor, const Target& target) {
  auto subs = target.Bool("subs");
  if (!subs.ok()) return BadRequest(subs.message());
  auto offset = target.Uint("offset", 0);
  if (!offset.ok()) return BadRequest(offset.message());
  auto limit = target.Uint("limit", kDefaultLimit);
  if (!limit.ok()) return BadRequest(limit.message());
  const std::string test(target.Get("test"));
  if (!test.empty() && !proto::IsValidLiteralSubject(test)) {
    return BadRequest("invalid test subject, must be valid publish subject: " + test);
  }

  server::Server& s = monitor.server();
  // Each worker's match cache is its own; its figures are read on its thread.
  auto caches = server::GatherFromWorkers<CacheFigures>(
      s,
      [](server::Worker& worker) {
        const core::MatchCache& cache = worker.router_thread().cache;
        CacheFigures f{cache.size(), cache.hits(), cache.misses(), 0, 0};
        cache.Fanout(&f.max_fanout, &f.fanout_sum);
        return f;
      },
      Monitor::kGatherTimeout);
  CacheFigures sum;
  for (const auto& c : caches) {
    if (!c) continue;
    sum.entries += c->entries;
    sum.hits += c->hits;
    sum.misses += c->misses;
    sum.max_fanout = std::max(sum.max_fanout, c->max_fanout);
    sum.fanout_sum += c->fanout_sum;
  }
  const core::SublistStats index = s.sublist().stats();
  const size_t matches = sum.hits + sum.misses;

  ordered_json v;
  if (*subs) {
    v["server_id"] = s.server_id();
    v["now"] = Rfc3339(WallClock::now());
  }
  v["num_subscriptions"] = index.count;
  v["num_cache"] = sum.entries;
  v["num_inserts"] = index.inserts;
  v["num_removes"] = index.removes;
  v["num_matches"] = matches;
  v["cache_hit_rate"] = matches == 0 ? 0.0 : static_cast<double>(sum.hits) / static_cast<double>(matches);
  v["max_fanout"] = sum.max_fanout;
  v["avg_fanout"] = sum.entries == 0 ? 0.0 : static_cast<double>(sum.fanout_sum) / static_cast<double>(sum.entries);
  if (*subs) {
    std::vector<server::SubInfo> list;
    for (server::ConnInfo& c : OpenConnections(monitor, /*with_subs=*/true)) {
      for (server::SubInfo& sub : c.subs) {
        if (test.empty() || proto::SubjectMatches(sub.subject, test)) list.push_back(std::move(sub));
      }
    }
    std::sort(list.begin(), list.end(), [](const server::SubInfo& a, const server::SubInfo& b) {
      return a.cid != b.cid ? a.cid < b.cid : a.subject < b.subject;
    });
    const size_t total = list.size();
    const size_t first = std::min<size_t>(*offset, total);
    const size_t last = std::min<size_t>(total, first + *limit);
    v["total"] = total;
    v["offset"] = *offset;
    v["limit"] = *limit;
    ordered_json out = ordered_json::array();
    for (size_t i = first; i < last; ++i) {
      const server::SubInfo& sub = list[i];
      ordered_json d;
      d["account"] = "$G";
      d["subject"] = sub.subject;
      if (!sub.queue.empty()) d["qgroup"] = sub.queue;
      d["sid"] = sub.sid;
      d["msgs"] = sub.msgs;
      if (sub.max != 0) d["max"] = sub.max;
      d["cid"] = sub.cid;
      out.push_back(std::move(d));
    }
    v["subscriptions_list"] = std::move(out);
  }
  return JsonResponse(v);
}

}  // namespace tern::monitor
