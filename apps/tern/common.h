// Shared pieces of the `tern` CLI: the option structs main.cc fills from the
// command line, exit codes, connecting, payload input and small parsers.
//
// CLI11 stays in main.cc (it is a large header-only library); the commands
// see only these plain structs, so each cmd_*.cc compiles quickly.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tern/connection.h"
#include "tern/message.h"
#include "tern/options.h"
#include "tern/status.h"

namespace tern::cli {

// Documented in `tern --help`; scripts rely on them.
enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 1,         // bad flags or arguments, unreadable input file
  kExitConnect = 2,       // no server reachable, refused, or connection lost
  kExitTimeout = 3,       // no reply / message / PONG within the timeout
  kExitNoResponders = 4,  // a request found nobody subscribed
  kExitServerError = 5,   // the server reported an error (-ERR, limits)
};

inline constexpr std::string_view kDefaultServer = "nats://127.0.0.1:4222";
inline constexpr std::string_view kServerEnv = "TERN_SERVER";
inline constexpr std::string_view kServerEnvFallback = "NATS_URL";  // what nats tools read; TERN_SERVER wins

struct GlobalOptions {
  std::vector<std::string> servers;  // already split on commas
  std::chrono::milliseconds connect_timeout{2000};
  std::string user;
  std::string password;
  std::string token;
  std::string name = "tern-cli";
  TlsOptions tls;  // --tlscert, --tlskey, --tlsca, --tlsfirst
};

struct PubOptions {
  std::string subject;
  std::optional<std::string> payload;  // "-" reads stdin
  std::string file;
  uint64_t count = 1;
  double rate = 0;                   // messages per second; 0: as fast as possible
  std::vector<std::string> headers;  // "Key:Value"
  std::string reply;
  bool quiet = false;
  std::chrono::milliseconds timeout{5000};  // for the final flush
};

struct SubOptions {
  std::string subject;
  std::string queue;
  uint64_t count = 0;  // 0: until interrupted
  bool raw = false;
  bool headers = false;
  std::chrono::milliseconds timeout{0};  // 0: none
};

struct ReqOptions {
  std::string subject;
  std::optional<std::string> payload;
  std::string file;
  std::vector<std::string> headers;
  std::chrono::milliseconds timeout{2000};
  bool raw = false;
};

struct ReplyOptions {
  std::string subject;
  std::optional<std::string> answer;
  bool echo = false;
  std::string command;
  std::chrono::milliseconds command_timeout{10000};
  std::string queue;
  uint64_t count = 0;  // 0: until interrupted
  std::vector<std::string> headers;
  std::chrono::milliseconds sleep{0};
  bool quiet = false;
};

struct BenchOptions {
  std::string subject;
  int pubs = 1;
  int subs = 0;
  uint64_t msgs = 100000;
  size_t size = 128;
  std::string queue;
  bool request = false;
  // Subscribers/responders run handlers on the reading thread (DispatchMode::kInline).
  bool inline_handlers = false;
  uint64_t warmup = 0;  // request mode: round trips per requester not measured
  std::chrono::milliseconds timeout{60000};
  std::chrono::milliseconds request_timeout{5000};
  bool progress = true;  // only ever shown when stdout is a terminal
  bool json = false;
};

struct StatusOptions {
  int pings = 5;
  bool json = false;
};

struct PasswdOptions {
  std::string password;  // empty: from the terminal or standard input
  int cost = 11;
  bool allow_short = false;
};

int RunPub(const GlobalOptions& g, const PubOptions& o);
int RunSub(const GlobalOptions& g, const SubOptions& o);
int RunReq(const GlobalOptions& g, const ReqOptions& o);
int RunReply(const GlobalOptions& g, const ReplyOptions& o);
int RunBench(const GlobalOptions& g, const BenchOptions& o);
int RunStatus(const GlobalOptions& g, const StatusOptions& o);
int RunPasswd(const PasswdOptions& o);  // needs no server

// --- helpers (common.cc) ---

// The exit code a library error maps to.
int ExitCodeFor(Code code);
// Prints "tern: <what>: <status>" to stderr and returns ExitCodeFor(status).
int Fail(std::string_view what, const Status& status);
// Prints "tern: <message>" to stderr and returns code.
int Fail(int code, std::string_view message);

// What the library reports on its event thread: remembers the first server
// error (-ERR) and tells the user on stderr about disconnects, reconnects and
// slow-consumer drops, so a long-running sub or reply shows them.
class EventWatch {
 public:
  explicit EventWatch(bool verbose) : verbose_(verbose) {}
  void OnEvent(const Event& e);
  // Ok when the server reported no error.
  Status server_error() const;
  uint64_t slow_consumer_events() const;

 private:
  const bool verbose_;
  mutable std::mutex mu_;
  Status server_error_;
  uint64_t slow_ = 0;
};

// Options for one connection of this CLI run; events go to watch if given.
Options MakeOptions(const GlobalOptions& g, std::shared_ptr<EventWatch> watch = nullptr);
// Connects; on failure prints why and returns nullptr with *exit_code set.
std::unique_ptr<Connection> Connect(const GlobalOptions& g, int* exit_code, Options options);
std::unique_ptr<Connection> Connect(const GlobalOptions& g, int* exit_code);

// Splits "a,b , c" on commas, dropping empty items.
std::vector<std::string> SplitList(std::string_view text);

// Parses "Key:Value" / "Key: Value" flags into h; false with *error set.
bool ParseHeaders(const std::vector<std::string>& flags, Headers* h, std::string* error);

// The payload of pub/req: the file when given, else stdin when the argument
// is "-" or absent with stdin not a terminal, else the argument (or "").
// False with *error set when a file cannot be read, or when stdin_timeout is
// given and stdin has not ended by then: a stdin left open by the caller
// (a script, a service manager) must not hang the command.
bool ReadPayload(const std::optional<std::string>& arg, const std::string& file, std::string* out, std::string* error,
                 std::optional<std::chrono::milliseconds> stdin_timeout = std::nullopt);
// Reads fd to its end; with a timeout, false with errno ETIMEDOUT when it
// has not ended by then.
bool ReadAll(int fd, std::string* out, std::optional<std::chrono::milliseconds> timeout = std::nullopt);

// Replaces {{Count}} / {{.Count}} with n; untouched when absent.
std::string ExpandCount(std::string_view text, uint64_t n);
bool HasCountTemplate(std::string_view text);

// Ctrl-C / SIGTERM set a flag that long-running commands poll.
void InstallStopHandler();
bool StopRequested();

// Formatting.
std::string Grouped(uint64_t n);                        // 1234567 -> "1,234,567"
std::string HumanDuration(std::chrono::nanoseconds d);  // "812us", "1.23ms", "2.5s"
std::string HumanBytes(double bytes);                   // "1.2 MiB"

}  // namespace tern::cli
