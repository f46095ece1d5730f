#include "cluster_fixture.h"

#include <signal.h>

#include <thread>

namespace tern::testing {

using Clock = std::chrono::steady_clock;

Cluster::Cluster(ClusterSpec spec) : spec_(std::move(spec)), flavor_(MakeFlavor(spec_.flavor)) {
  nodes_.resize(static_cast<size_t>(spec_.nodes));
  for (Node& n : nodes_) n.route_port = PickFreePort();
}

Cluster::~Cluster() {
  for (int i = 0; i < size(); ++i) {
    if (nodes_[i].process != nullptr && nodes_[i].running) Stop(i);
  }
}

std::string Cluster::route_url(int i) const { return "nats://127.0.0.1:" + std::to_string(nodes_[i].route_port); }

std::vector<std::string> Cluster::ArgsFor(int i) const {
  std::vector<std::string> args = {"-n", name(i), "--cluster", route_url(i), "--cluster_name", spec_.cluster_name};
  std::string seeds;
  for (int j = 0; j < size(); ++j) {
    const bool seed = spec_.seeds == ClusterSpec::Seeds::kAll || (spec_.seeds == ClusterSpec::Seeds::kFirst && j == 0);
    if (!seed || (j == i && spec_.seeds == ClusterSpec::Seeds::kFirst)) continue;
    seeds += (seeds.empty() ? "" : ",") + route_url(j);
  }
  if (!seeds.empty()) {
    args.push_back("--routes");
    args.push_back(seeds);
  }
  if (!is_nats()) args.insert(args.end(), spec_.extra_args.begin(), spec_.extra_args.end());
  return args;
}

bool Cluster::Start() {
  for (int i = 0; i < size(); ++i) {
    if (!StartNode(i)) return false;
  }
  return true;
}

bool Cluster::StartNode(int i, std::vector<std::string> more_args) {
  std::vector<std::string> args = ArgsFor(i);
  args.insert(args.end(), more_args.begin(), more_args.end());
  Node& n = nodes_[i];
  if (n.process != nullptr && n.running) n.process->Stop();
  n.process = std::make_unique<ServerProcess>(*flavor_, spec_.limits, args);
  if (!n.process->Start()) {
    error_ = name(i) + ": " + n.process->error();
    return false;
  }
  n.running = true;
  return true;
}

void Cluster::Kill(int i) {
  Node& n = nodes_[i];
  if (n.process == nullptr || !n.running) return;
  n.process->set_check_exit(false);
  n.process->Signal(SIGKILL);
  n.process->Stop(std::chrono::seconds(2));  // reaps it
  n.running = false;
}

void Cluster::Stop(int i) {
  Node& n = nodes_[i];
  if (n.process == nullptr || !n.running) return;
  n.process->Stop();
  n.running = false;
}

::testing::AssertionResult Cluster::WaitInterest(int from, RawClient& sub, const std::string& subject,
                                                 std::chrono::milliseconds timeout) {
  RawClient pub;
  if (auto r = pub.ConnectAndHandshake(port(from)); !r) return r;
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (auto r = pub.Send(Pub(subject, "probe")); !r) return r;
    auto m = sub.ReadMsg(Millis(20));
    if (!m) continue;
    // Probes sent after the one that arrived may still be on their way:
    // a marker behind them says when the last one is in.
    if (auto r = pub.Send(Pub(subject, "probe-end")); !r) return r;
    for (;;) {
      auto more = sub.ReadMsg(Millis(2000));
      if (!more) return ::testing::AssertionFailure() << "probe marker lost on " << subject;
      if (more->payload == "probe-end") return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure() << "no interest in " << subject << " reached node " << name(from) << " within "
                                       << timeout.count() << "ms";
}

::testing::AssertionResult Cluster::WaitMeshed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (int i = 0; i < size(); ++i) {
    if (!running(i)) continue;
    RawClient sub;
    if (auto r = sub.ConnectAndHandshake(port(i)); !r) return r;
    const std::string subject = "_probe." + std::to_string(++probe_) + "." + name(i);
    if (auto r = sub.Send("SUB " + subject + " 1\r\n"); !r) return r;
    if (auto r = sub.Ping(); !r) return r;
    for (int j = 0; j < size(); ++j) {
      if (j == i || !running(j)) continue;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (auto r = WaitInterest(j, sub, subject, std::max(left, std::chrono::milliseconds(1))); !r) return r;
    }
  }
  return ::testing::AssertionSuccess();
}

nlohmann::json StatsAt(int port) {
  RawClient c;
  if (!c.ConnectAndHandshake(port)) return {};
  if (!c.Send("SUB _stats.reply 1\r\n" + Pub("_TERN.STATS", "", "_stats.reply"))) return {};
  auto m = c.ReadMsg();
  if (!m) return {};
  return nlohmann::json::parse(m->payload, nullptr, false);
}

nlohmann::json Cluster::Stats(int i) { return StatsAt(port(i)); }

::testing::AssertionResult Cluster::WaitRoutes(int i, int routes, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  nlohmann::json last;
  while (Clock::now() < deadline) {
    last = Stats(i);
    if (last.contains("cluster") && last["cluster"].value("routes", -1) == routes) return ::testing::AssertionSuccess();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return ::testing::AssertionFailure() << name(i) << " did not get to " << routes << " routes: " << last.dump();
}

}  // namespace tern::testing
