// tern-server: flags/env/file -> Options -> Server. Wiring only.
//
// Signals are blocked in every thread and taken synchronously here with
// sigwait(), so no handler ever runs inside worker code.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "base/log.h"
#include "io/socket.h"
#include "monitor/monitor.h"
#include "server/config/config.h"
#include "server/server.h"

namespace {

// Lame duck runs until `end`; SIGINT or SIGTERM meanwhile cut it short.
void WaitOutLameDuck(const sigset_t& signals, std::chrono::steady_clock::time_point end) {
  for (;;) {
    const auto left = end - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return;
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    timespec timeout{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    const int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig == SIGINT || sig == SIGTERM) return;
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tern;

  server::ConfigResult config = server::LoadConfig(argc, argv);
  if (config.help) {
    std::fputs(server::HelpText().c_str(), stdout);
    return 0;
  }
  if (config.version) {
    std::printf("tern-server v%s\n", server::kTernVersion);
    return 0;
  }
  if (!config.errors.empty()) {
    for (const std::string& error : config.errors) std::fprintf(stderr, "tern-server: %s\n", error.c_str());
    std::fprintf(stderr, "tern-server: invalid configuration (see --help)\n");
    return 1;
  }
  server::Options options = std::move(config.options);
  log::SetLevel(options.log_level);
  if (!options.log_file.empty() && !log::SetFile(options.log_file)) {
    std::fprintf(stderr, "tern-server: log.file: cannot open '%s'\n", options.log_file.c_str());
    return 1;
  }
  for (const std::string& warning : config.warnings) log::Warn("{}", warning);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGUSR2);  // lame duck, as nats-server's --signal ldm
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  long files = io::RaiseFileLimit();
  log::Debug("open file limit {}", files);

  server::Server node(options);
  monitor::Monitor monitoring(node);  // serves http_port (-m) when it is set
  if (base::Status started = node.Start(); !started.ok()) {
    log::Error("{}", started.message());
    return 1;
  }
  monitoring.Start();

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      log::Info("Reloading configuration from {}", options.config_file.empty() ? "(no file)" : options.config_file);
      server::ConfigResult reloaded = server::ReloadFromFile(options);
      if (!reloaded.errors.empty()) {
        for (const std::string& e : reloaded.errors) log::Error("reload: {}", e);
        continue;
      }
      for (const auto& change : reloaded.needs_restart) {
        log::Warn("reload: {} changed ({} -> {}) but needs a restart", change.name, change.before, change.after);
      }
      options = reloaded.options;
      node.Reload(options);
      continue;
    }
    if (sig == SIGUSR2) {
      log::Info("Trapped \"user defined signal 2\" signal");
      WaitOutLameDuck(signals, node.EnterLameDuck());
      break;
    }
    log::Info("Trapped \"{}\" signal", sig == SIGINT ? "interrupt" : "terminated");
    break;
  }
  node.Shutdown();
  return 0;
}
