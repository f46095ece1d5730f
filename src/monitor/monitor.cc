#include "monitor/monitor.h"

#include "base/log.h"
#include "monitor/http_session.h"
#include "server/worker.h"

namespace tern::monitor {

// Once a second on the monitor worker: a traffic sample, and the new events
// copied to the event file.
class Monitor::Sampler final : public io::Timer {
 public:
  Sampler(Monitor& monitor, io::EventLoop& loop) : monitor_(monitor), loop_(loop) {}
  void Arm() { loop_.Arm(*this, io::Clock::now() + kPeriod); }
  void Disarm() { loop_.Disarm(*this); }
  void OnTimer() override {
    monitor_.SampleNow();
    Arm();
  }

 private:
  static constexpr std::chrono::seconds kPeriod{1};
  Monitor& monitor_;
  io::EventLoop& loop_;
};

Monitor::Monitor(server::Server& server) : server_(server) {
  const server::EventLogOptions& log = server.options().http.event_log;
  if (!log.file.empty()) {
    event_file_ = std::make_unique<EventFile>(log.file, log.max_size, log.max_files);
  }
  server_.set_http_session_factory(
      [this](server::Connection& conn) { return std::make_unique<HttpSession>(conn, *this); });
}

Monitor::~Monitor() {
  // The monitor worker has stopped (Server::Shutdown joined it), so its
  // timer heap may be touched from here.
  if (sampler_ != nullptr) sampler_->Disarm();
}

void Monitor::Start() {
  server::Worker* worker = server_.monitor_worker();
  if (worker == nullptr) return;
  sampler_ = std::make_unique<Sampler>(*this, worker->loop());
  worker->loop().Post([this] {
    SampleNow();  // the baseline
    sampler_->Arm();
  });
}

void Monitor::SampleNow() {
  server::ServerSnapshot snap = server_.Snapshot();
  traffic_.Sample(WallClock::now(), {snap.in_msgs, snap.out_msgs, snap.in_bytes, snap.out_bytes});
  WriteEvents();
}

void Monitor::WriteEvents() {
  if (event_file_ == nullptr) return;
  for (const server::Event& e : server_.events().Since(events_written_)) {
    if (base::Status s = event_file_->Append(server::EventJson(e)); !s.ok()) {
      log::Error("{}", s.message());
      event_file_.reset();  // said once; the in-memory log goes on
      return;
    }
    events_written_ = e.seq;
  }
  // Events that fell out of the ring before they were written are gone;
  // at one copy a second that takes max_events connects in a second.
  events_written_ = std::max(events_written_, server_.events().last_seq());
}

Response BadRequest(std::string message) { return PlainText(400, std::move(message)); }
Response PlainText(int status, std::string message) { return {status, "text/plain; charset=utf-8", std::move(message)}; }

std::optional<Response> Monitor::Handle(const Request& request, Later later) {
  if (request.method == "POST") return Post(*this, request, std::move(later));
  const Target& target = request.target;
  using Handler = Response (*)(Monitor&, const Target&);
  static const std::map<std::string_view, Handler> kRoutes = {
      {kVarzPath, &Varz},       {kConnzPath, &Connz},     {kSubszPath, &Subsz},       {kSubscriptionszPath, &Subsz},
      {kRoutezPath, &Routez},   {kHealthzPath, &Healthz}, {kLingerzPath, &Lingerz},   {kEventzPath, &Eventz},
      {kTrafficzPath, &Trafficz}, {kMetricsPath, &Metrics}, {kMqttzPath, &Mqttz},
  };
  std::string_view path = target.path;
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  auto it = kRoutes.find(path);
  if (it == kRoutes.end()) {
    Response file;
    if (DashboardFile(target.path, &file)) return file;
    return Response{404, "text/plain; charset=utf-8", "404 page not found\n", {}};
  }
  ++requests_[std::string(it->first)];
  return it->second(*this, target);
}

}  // namespace tern::monitor
