#include "common.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

namespace tern::cli {

int ExitCodeFor(Code code) {
  switch (code) {
    case Code::kOk:
      return kExitOk;
    case Code::kInvalidArgument:
      return kExitUsage;
    case Code::kTimeout:
      return kExitTimeout;
    case Code::kNoResponders:
      return kExitNoResponders;
    case Code::kConnectFailed:
    case Code::kAuthFailed:
    case Code::kDisconnected:
    case Code::kClosed:
    case Code::kNotSupported:  // nothing here we can connect to
      return kExitConnect;
    case Code::kBufferFull:
    case Code::kServerError:
    case Code::kProtocolError:
    case Code::kPipelineEnd:
      return kExitServerError;
  }
  return kExitServerError;
}

int Fail(std::string_view what, const Status& status) {
  std::fprintf(stderr, "tern: %.*s: %s\n", static_cast<int>(what.size()), what.data(), status.ToString().c_str());
  return ExitCodeFor(status.code());
}

int Fail(int code, std::string_view message) {
  std::fprintf(stderr, "tern: %.*s\n", static_cast<int>(message.size()), message.data());
  return code;
}

void EventWatch::OnEvent(const Event& e) {
  std::lock_guard<std::mutex> lock(mu_);
  switch (e.type) {
    case EventType::kServerError:
      if (server_error_.ok()) server_error_ = e.status;
      std::fprintf(stderr, "tern: server error: %s\n", e.status.message().c_str());
      break;
    case EventType::kSlowConsumer:
      ++slow_;
      if (verbose_) std::fprintf(stderr, "tern: slow consumer on %s: messages dropped\n", e.subject.c_str());
      break;
    case EventType::kDisconnected:
      if (verbose_)
        std::fprintf(stderr, "tern: disconnected from %s: %s\n", e.server.c_str(), e.status.ToString().c_str());
      break;
    case EventType::kReconnected:
      if (verbose_) std::fprintf(stderr, "tern: reconnected to %s\n", e.server.c_str());
      break;
    case EventType::kLameDuck:
      if (verbose_) std::fprintf(stderr, "tern: server %s is shutting down (lame duck)\n", e.server.c_str());
      break;
    case EventType::kClosed:
      break;
  }
}

Status EventWatch::server_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return server_error_;
}

uint64_t EventWatch::slow_consumer_events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return slow_;
}

Options MakeOptions(const GlobalOptions& g, std::shared_ptr<EventWatch> watch) {
  Options o;
  if (watch) o.on_event = [watch](const Event& e) { watch->OnEvent(e); };
  if (!g.servers.empty()) o.servers = g.servers;
  o.connect_timeout = g.connect_timeout;
  o.user = g.user;
  o.password = g.password;
  o.token = g.token;
  o.name = g.name;
  o.tls = g.tls;
  // A CLI run is short: a first failed pass gives exit 2 rather than a hang.
  o.reconnect.initial_delay = std::chrono::milliseconds(250);
  o.reconnect.max_delay = std::chrono::milliseconds(2000);
  return o;
}

// The library names its options (tls.ca_file); say which flag sets them.
std::string FlagHint(std::string_view message) {
  static constexpr std::pair<std::string_view, std::string_view> kFlags[] = {
      {"tls.ca_file", "--tlsca"},
      {"tls.cert_file", "--tlscert and --tlskey"},
      {"tls.handshake_first", "--tlsfirst"},
      {"tls.server_name", "a URL with a host name the certificate carries"},
  };
  std::string out;
  for (auto [option, flag] : kFlags) {
    if (message.find(option) == std::string_view::npos) continue;
    out += std::string(out.empty() ? "" : "; ") + std::string(option) + " is " + std::string(flag);
  }
  return out;
}

std::unique_ptr<Connection> Connect(const GlobalOptions& g, int* exit_code, Options options) {
  auto conn = Connection::Connect(std::move(options));
  if (!conn.ok()) {
    std::string servers;
    for (const auto& s : g.servers) servers += (servers.empty() ? "" : ",") + s;
    if (servers.empty()) servers = std::string(kDefaultServer);
    *exit_code = Fail("connecting to " + servers, conn.status());
    std::string hint = FlagHint(conn.status().message());
    if (!hint.empty()) std::fprintf(stderr, "tern: hint: %s\n", hint.c_str());
    return nullptr;
  }
  *exit_code = kExitOk;
  return std::move(conn).value();
}

std::unique_ptr<Connection> Connect(const GlobalOptions& g, int* exit_code) {
  return Connect(g, exit_code, MakeOptions(g));
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

bool ParseHeaders(const std::vector<std::string>& flags, Headers* h, std::string* error) {
  for (const std::string& flag : flags) {
    size_t colon = flag.find(':');
    std::string_view key = std::string_view(flag).substr(0, colon);
    if (colon == std::string::npos || key.empty() || key.find_first_of(" \t\r\n") != std::string_view::npos) {
      *error = "bad header '" + flag + "': want Key:Value";
      return false;
    }
    std::string_view value = std::string_view(flag).substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (value.find_first_of("\r\n") != std::string_view::npos) {
      *error = "bad header '" + flag + "': the value may not contain a line break";
      return false;
    }
    h->Add(std::string(key), std::string(value));
  }
  return true;
}

bool ReadAll(int fd, std::string* out, std::optional<std::chrono::milliseconds> timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = timeout ? Clock::now() + *timeout : Clock::time_point::max();
  char buf[65536];
  for (;;) {
    if (timeout) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      pollfd p{fd, POLLIN, 0};
      int r = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) {
        errno = ETIMEDOUT;
        return false;
      }
      if (r < 0) return false;
    }
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out->append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      return true;
    } else if (errno != EINTR) {
      return false;
    }
  }
}

bool ReadPayload(const std::optional<std::string>& arg, const std::string& file, std::string* out, std::string* error,
                 std::optional<std::chrono::milliseconds> stdin_timeout) {
  out->clear();
  if (!file.empty()) {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      *error = "cannot read " + file + ": " + std::strerror(errno);
      return false;
    }
    bool ok = ReadAll(fd, out);
    int saved = errno;
    ::close(fd);
    if (!ok) *error = "cannot read " + file + ": " + std::strerror(saved);
    return ok;
  }
  bool from_stdin = arg ? *arg == "-" : !::isatty(STDIN_FILENO);
  if (from_stdin) {
    if (!ReadAll(STDIN_FILENO, out, stdin_timeout)) {
      if (errno == ETIMEDOUT) {
        *error = "stdin did not end within " + HumanDuration(*stdin_timeout) +
                 ": give the payload as an argument ('' for none) or close stdin";
      } else {
        *error = std::string("cannot read stdin: ") + std::strerror(errno);
      }
      return false;
    }
    return true;
  }
  if (arg) *out = *arg;
  return true;
}

namespace {
constexpr std::string_view kCountTemplates[] = {"{{Count}}", "{{.Count}}"};
}  // namespace

bool HasCountTemplate(std::string_view text) {
  for (auto t : kCountTemplates) {
    if (text.find(t) != std::string_view::npos) return true;
  }
  return false;
}

std::string ExpandCount(std::string_view text, uint64_t n) {
  std::string out(text);
  const std::string number = std::to_string(n);
  for (auto t : kCountTemplates) {
    for (size_t pos = out.find(t); pos != std::string::npos; pos = out.find(t, pos + number.size())) {
      out.replace(pos, t.size(), number);
    }
  }
  return out;
}

namespace {
volatile std::sig_atomic_t g_stop = 0;
extern "C" void OnStopSignal(int) { g_stop = 1; }
}  // namespace

void InstallStopHandler() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

bool StopRequested() { return g_stop != 0; }

std::string Grouped(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string HumanDuration(std::chrono::nanoseconds d) {
  if (d.count() > 0 && d.count() % 1000000 == 0) {
    // Whole milliseconds (most flag values) read better without decimals.
    int64_t ms = d.count() / 1000000;
    return ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
  }
  char buf[32];
  double ns = static_cast<double>(d.count());
  if (ns < 1e3) {
    std::snprintf(buf, sizeof buf, "%.0fns", ns);
  } else if (ns < 1e6) {
    std::snprintf(buf, sizeof buf, "%.1fus", ns / 1e3);
  } else if (ns < 1e9) {
    std::snprintf(buf, sizeof buf, "%.2fms", ns / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.2fs", ns / 1e9);
  }
  return buf;
}

std::string HumanBytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f %s" : "%.2f %s", bytes, kUnits[unit]);
  return buf;
}

}  // namespace tern::cli
