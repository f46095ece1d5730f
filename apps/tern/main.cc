// tern: command-line client for tern-server (or any NATS-protocol server).
//
// This file only declares the command line (CLI11, header-only and slow to
// compile, so it stays in this one translation unit) and hands plain option
// structs to the cmd_*.cc files.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/units.h"
#include "common.h"

namespace {

constexpr const char* kExitCodes = R"(Exit codes:
  0  success
  1  usage error: bad flag, argument or input file
  2  connection failure: no server reachable, refused, or connection lost
  3  timeout: no reply, message or server acknowledgement in time
  4  no responders: nobody is subscribed to the request subject
  5  other server error (-ERR, payload above the server's max_payload))";

constexpr const char* kShortFlags = R"(Short flags mean the same in every command:
  -s server  -n count  -t timeout  -H header  -f file  -r raw  -q quiet
  -e echo  -c command  -h help (alone: -h followed by anything is an error))";

std::string Footer(const std::string& examples) {
  return (examples.empty() ? "" : "Examples:\n" + examples + "\n\n") + kShortFlags + "\n\n" + kExitCodes;
}

// A subcommand's --help lists the global options too (CLI11 shows only the
// subcommand's own), so `tern pub --help` is complete by itself.
class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_footer(const CLI::App* app) const override {
    const CLI::App* parent = app->get_parent();
    if (parent == nullptr) return CLI::Formatter::make_footer(app);
    std::vector<const CLI::Option*> globals = parent->get_options([](const CLI::Option* o) {
      return o->get_name() != "--help" && o->get_name() != "--version" && !o->get_group().empty();
    });
    return make_group("Global options (before or after the command)", false, globals) + "\n" +
           CLI::Formatter::make_footer(app);
  }
};

// The server's own rules (base/units.h): a unit is required except for 0,
// and the value must be whole milliseconds.
std::optional<std::chrono::milliseconds> ParseMillis(std::string_view text) {
  auto d = tern::units::ParseDuration(text);
  return d ? tern::units::ToWholeMillis(*d) : std::nullopt;
}

// CLI11 lets a vector option take every following word: "-H k:v hello"
// took "hello" as a second header, "--server URL subject" the subject as a
// second URL. One value per occurrence; repeat the flag to collect more.
CLI::Option* OneValueEach(CLI::Option* option) { return option->allow_extra_args(false); }

// mosquitto_pub's -h is the host. "tern pub -h broker x y" printed help and
// exited 0 having published nothing; a script would never notice. So -h is
// help only as the last word, anything after it is a usage error. Returns
// the offending index or 0.
int MisusedHelpFlag(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") break;  // what follows is payload, not flags
    if (arg == "-h") return i;
  }
  return 0;
}

// Validators keep a bad value a parse error, so it gets exit code 1 and the
// "Run with --help" hint like every other usage mistake.
const CLI::Validator kDuration(
    [](std::string& value) -> std::string {
      return ParseMillis(value) ? std::string()
                                : "not a duration: " + value + " (a number with a unit, " +
                                      std::string(tern::units::kDurationExamples) + "; whole milliseconds)";
    },
    "DURATION");

const CLI::Validator kSize(
    [](std::string& value) -> std::string {
      return tern::units::ParseSize(value)
                 ? std::string()
                 : "not a size: " + value + " (" + std::string(tern::units::kSizeExamples) + "; KB = 1024 bytes)";
    },
    "SIZE");

const CLI::Validator kNonNegative(
    [](std::string& value) -> std::string {
      double number = 0;
      return CLI::detail::lexical_cast(value, number) && number >= 0 ? std::string()
                                                                     : "must be a number >= 0: " + value;
    },
    "NUMBER>=0");

std::chrono::milliseconds Ms(const std::string& text) { return *ParseMillis(text); }

}  // namespace

int main(int argc, char** argv) {
  using namespace tern::cli;
  CLI::App app{"tern: publish, subscribe, request, reply, benchmark and inspect a tern (or NATS) server", "tern"};
  app.formatter(std::make_shared<HelpFormatter>());  // before the subcommands, which inherit it
  app.require_subcommand(1);
  app.fallthrough();  // global flags may also follow the command
  app.set_version_flag("--version", "tern 0.1.0");
  app.footer(
      Footer("  tern sub 'orders.>'\n"
             "  tern pub orders.new '{\"id\":1}' --count 10\n"
             "  tern reply time.now --command date & tern req time.now\n"
             "  tern bench load --pub 2 --sub 2 --msgs 1000000 --size 16\n"
             "  TERN_SERVER=nats://broker.example:4222 tern status   (NATS_URL too; TERN_SERVER wins)"));

  GlobalOptions g;
  std::string connect_timeout = "2s";
  // The environment is read after parsing: two variables, TERN_SERVER first.
  OneValueEach(
      app.add_option(
          "-s,--server", g.servers,
          "Server URLs, comma-separated (nats://host:port, tls://host:port, ws://host:port, wss://..., host:port, "
          "nats://user:pass@host:port); env TERN_SERVER or NATS_URL"))
      ->delimiter(',')
      ->default_str(std::string(kDefaultServer));
  app.add_option("--user", g.user, "User name")->envname("TERN_USER");
  app.add_option("--password", g.password, "Password")->envname("TERN_PASSWORD");
  app.add_option("--token", g.token, "Authentication token")->envname("TERN_TOKEN");
  app.add_option("--name", g.name, "Connection name shown by the server's monitoring")->capture_default_str();
  app.add_option("--connect-timeout", connect_timeout, "Connect and handshake timeout")
      ->check(kDuration)
      ->capture_default_str();
  // TLS, with the nats CLI's names. Any of them makes the connection TLS
  // (so does a tls:// URL, or a server that requires it).
  app.add_option("--tlscert", g.tls.cert_file, "TLS client certificate (PEM), for servers that verify clients");
  app.add_option("--tlskey", g.tls.key_file, "Private key of --tlscert (PEM)");
  app.add_option("--tlsca", g.tls.ca_file, "CA certificates (PEM) to trust for the server's certificate")
      ->default_str("the system's");
  app.add_flag("--tlsfirst", g.tls.handshake_first,
               "TLS handshake before the server's INFO (servers with handshake_first)");

  // pub
  PubOptions pub;
  std::string pub_payload, pub_timeout = "5s";
  auto* pub_cmd = app.add_subcommand("pub", "Publish a message (or --count of them)");
  pub_cmd->add_option("subject", pub.subject, "Subject to publish to")->required();
  auto* pub_payload_opt = pub_cmd->add_option(
      "payload", pub_payload,
      "Message body; '-' or absent with stdin not a terminal reads stdin. {{Count}} is replaced by the message number");
  pub_cmd->add_option("-n,--count", pub.count, "Number of messages to publish")
      ->check(kNonNegative)
      ->capture_default_str();
  pub_cmd->add_option("--rate", pub.rate, "Messages per second; 0 publishes as fast as possible")
      ->check(kNonNegative)
      ->capture_default_str();
  pub_cmd->add_option("-f,--file", pub.file, "Read the body from this file")->excludes(pub_payload_opt);
  OneValueEach(pub_cmd->add_option("-H,--header", pub.headers, "Header Key:Value (repeat for more)"));
  pub_cmd->add_option("--reply", pub.reply, "Reply subject to send with the message");
  pub_cmd->add_option("-t,--timeout", pub_timeout, "How long to wait for the server to confirm")
      ->check(kDuration)
      ->capture_default_str();
  pub_cmd->add_flag("-q,--quiet", pub.quiet, "Print nothing on success");
  pub_cmd->footer(
      Footer("  tern pub greet.joe hello\n  echo hi | tern pub greet.joe\n"
             "  tern pub metrics 'sample {{Count}}' --count 100 --rate 10 -H source:cli"));

  // sub
  SubOptions sub;
  std::string sub_timeout = "0";
  auto* sub_cmd = app.add_subcommand("sub", "Subscribe to a subject and print what arrives");
  sub_cmd->add_option("subject", sub.subject, "Subject, may contain wildcards (* and >)")->required();
  sub_cmd->add_option("--queue", sub.queue, "Join this queue group: each message goes to one member");
  sub_cmd->add_option("-n,--count", sub.count, "Exit after this many messages (0: until Ctrl-C)")
      ->check(kNonNegative)
      ->capture_default_str();
  sub_cmd->add_flag("-r,--raw", sub.raw, "Print only payloads, one per line");
  sub_cmd->add_flag("--headers", sub.headers, "With --raw, also print each message's headers before its payload");
  sub_cmd
      ->add_option("-t,--timeout", sub_timeout,
                   "Stop after this long; with --count, fewer messages by then is exit code 3 (0: no limit)")
      ->check(kDuration)
      ->capture_default_str();
  sub_cmd->footer(Footer("  tern sub 'orders.*' --queue workers\n  tern sub events --count 3 --timeout 5s --raw"));

  // req
  ReqOptions req;
  std::string req_payload, req_timeout = "2s";
  auto* req_cmd = app.add_subcommand("req", "Send a request and print the first reply");
  req_cmd->add_option("subject", req.subject, "Subject to send the request to")->required();
  auto* req_payload_opt =
      req_cmd->add_option("payload", req_payload, "Request body; '-' or absent with stdin not a terminal reads stdin");
  req_cmd->add_option("-f,--file", req.file, "Read the body from this file")->excludes(req_payload_opt);
  OneValueEach(req_cmd->add_option("-H,--header", req.headers, "Header Key:Value (repeat for more)"));
  req_cmd->add_option("-t,--timeout", req_timeout, "How long to wait for the reply")
      ->check(kDuration)
      ->capture_default_str();
  req_cmd->add_flag("-r,--raw", req.raw, "Print only the reply's payload");
  req_cmd->footer(Footer("  tern req time.now ''\n  tern req echo hello --timeout 500ms -H trace:1"));

  // reply
  ReplyOptions reply;
  std::string reply_answer, reply_sleep = "0", reply_command_timeout = "10s";
  auto* reply_cmd = app.add_subcommand("reply", "Answer requests on a subject");
  reply_cmd->add_option("subject", reply.subject, "Subject to serve")->required();
  auto* answer_opt =
      reply_cmd->add_option("answer", reply_answer, "Fixed answer; {{Count}} is replaced by the request number");
  auto* echo_opt = reply_cmd->add_flag("-e,--echo", reply.echo, "Answer with the request's own body and headers");
  auto* command_opt = reply_cmd->add_option(
      "-c,--command", reply.command,
      "Answer with the stdout of this shell command; it gets the request body on stdin and TERN_SUBJECT set");
  answer_opt->excludes(echo_opt)->excludes(command_opt);
  echo_opt->excludes(command_opt);
  reply_cmd->add_option("--command-timeout", reply_command_timeout, "Kill --command (and do not answer) after this")
      ->check(kDuration)
      ->capture_default_str();
  reply_cmd->add_option("--queue", reply.queue, "Join this queue group, so several repliers share the load");
  reply_cmd->add_option("-n,--count", reply.count, "Exit after answering this many requests (0: until Ctrl-C)")
      ->check(kNonNegative)
      ->capture_default_str();
  OneValueEach(
      reply_cmd->add_option("-H,--header", reply.headers, "Header Key:Value to add to every answer (repeat for more)"));
  reply_cmd->add_option("--sleep", reply_sleep, "Wait this long before answering each request")
      ->check(kDuration)
      ->capture_default_str();
  reply_cmd->add_flag("-q,--quiet", reply.quiet, "Do not print the requests");
  reply_cmd->footer(
      Footer("  tern reply greet 'hello there'\n  tern reply echo --echo --queue echoers\n"
             "  tern reply upper --command 'tr a-z A-Z'"));

  // bench
  BenchOptions bench;
  std::string bench_size = "128", bench_timeout = "60s", bench_request_timeout = "5s";
  bool no_progress = false;
  auto* bench_cmd = app.add_subcommand("bench", "Measure publish/subscribe throughput or request latency");
  bench_cmd->add_option("subject", bench.subject, "Subject to use")->required();
  bench_cmd->add_option("--pub", bench.pubs, "Publishers (requesters with --request), each on its own connection")
      ->check(kNonNegative)
      ->capture_default_str();
  bench_cmd->add_option("--sub", bench.subs, "Subscribers (responders with --request, at least 1)")
      ->check(kNonNegative)
      ->capture_default_str();
  bench_cmd->add_option("--msgs", bench.msgs, "Messages (requests) in total, split over the publishers")
      ->check(kNonNegative)
      ->capture_default_str();
  bench_cmd->add_option("--size", bench_size, "Payload size (128, 4KiB, 1MiB; KB = 1024)")
      ->check(kSize)
      ->capture_default_str();
  bench_cmd->add_option("--queue", bench.queue, "Subscribers join this queue group (each message to one of them)");
  bench_cmd->add_flag("--request", bench.request,
                      "Request/reply: --pub requesters make sequential requests to --sub responders; "
                      "reports latency percentiles");
  bench_cmd->add_flag("--inline", bench.inline_handlers,
                      "Subscribers/responders run their handler on the thread reading the socket "
                      "(DispatchMode::kInline): no hand-off to a handler thread");
  bench_cmd->add_option("--warmup", bench.warmup, "With --request: round trips per requester not measured")
      ->check(kNonNegative)
      ->capture_default_str();
  bench_cmd->add_option("-t,--timeout", bench_timeout, "Bound on the whole run; unfinished is exit code 3")
      ->check(kDuration)
      ->capture_default_str();
  bench_cmd->add_option("--request-timeout", bench_request_timeout, "With --request: timeout of each request")
      ->check(kDuration)
      ->capture_default_str();
  bench_cmd->add_flag("--no-progress", no_progress, "No progress line (it is only ever shown on a terminal)");
  bench_cmd->add_flag("--json", bench.json, "Print the figures as one JSON object");
  bench_cmd->footer(
      Footer("  tern bench load --pub 1 --msgs 1000000 --size 16\n"
             "  tern bench load --pub 2 --sub 4 --queue q --msgs 500000\n"
             "  tern bench svc --request --pub 1 --sub 1 --msgs 20000 --size 128"));

  // status
  StatusOptions status;
  auto* status_cmd = app.add_subcommand("status", "Show the server's INFO and the round-trip time");
  status_cmd->add_option("--pings", status.pings, "PING/PONG round trips to time")
      ->check(kNonNegative)
      ->capture_default_str();
  status_cmd->add_flag("--json", status.json, "Print as one JSON object");
  status_cmd->footer(Footer("  tern status -s nats://127.0.0.1:4222"));

  // passwd
  PasswdOptions passwd;
  auto* passwd_cmd = app.add_subcommand("passwd", "Print a bcrypt hash of a password for the server's config");
  passwd_cmd->add_option("--pass", passwd.password,
                         "The password (default: asked on the terminal, or one line of standard input)");
  passwd_cmd->add_option("--cost", passwd.cost, "bcrypt cost, 4..31 (each step doubles the work)")
      ->check(CLI::Range(4, 31))
      ->capture_default_str();
  passwd_cmd->add_flag("--allow-short", passwd.allow_short, "Accept a password shorter than 8 characters");
  passwd_cmd->footer(Footer("  tern passwd                     (asks twice, without echo)\n"
                            "  echo -n 'long secret' | tern passwd --cost 12"));

  // CLI11 would only say "A subcommand is required" for a misspelt one.
  bool known = argc < 2 || argv[1][0] == '-';
  for (const auto* cmd : app.get_subcommands({})) known = known || cmd->get_name() == argv[1];
  if (!known) {
    std::fprintf(stderr,
                 "tern: unknown command '%s' (want pub, sub, req, reply, bench, status or passwd)\n"
                 "Run with --help for more information.\n",
                 argv[1]);
    return kExitUsage;
  }
  if (int i = MisusedHelpFlag(argc, argv); i > 0) {
    std::string next = argv[i + 1];
    std::string hint = next.starts_with("-") ? "-s nats://HOST:4222" : "-s nats://" + next + ":4222";
    std::fprintf(stderr,
                 "tern: -h is help and takes nothing after it; to name the server use -s/--server (%s)\n"
                 "Run with --help for more information.\n",
                 hint.c_str());
    return kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);  // prints the help, the version or the complaint
    return code == 0 ? kExitOk : kExitUsage;
  }

  if (g.servers.empty()) {
    for (std::string_view name : {kServerEnv, kServerEnvFallback}) {
      const char* value = std::getenv(std::string(name).c_str());
      if (value != nullptr && *value != '\0') {
        g.servers.emplace_back(value);
        break;
      }
    }
  }
  // Both "-s a,b" and TERN_SERVER="a, b" end up as one URL per entry.
  std::vector<std::string> servers;
  for (const auto& s : g.servers) {
    for (auto& url : SplitList(s)) servers.push_back(std::move(url));
  }
  g.servers = std::move(servers);
  if (g.servers.empty()) g.servers.emplace_back(kDefaultServer);
  g.connect_timeout = Ms(connect_timeout);

  if (app.got_subcommand(pub_cmd)) {
    if (pub_payload_opt->count() > 0) pub.payload = pub_payload;
    pub.timeout = Ms(pub_timeout);
    return RunPub(g, pub);
  }
  if (app.got_subcommand(sub_cmd)) {
    sub.timeout = Ms(sub_timeout);
    return RunSub(g, sub);
  }
  if (app.got_subcommand(req_cmd)) {
    if (req_payload_opt->count() > 0) req.payload = req_payload;
    req.timeout = Ms(req_timeout);
    return RunReq(g, req);
  }
  if (app.got_subcommand(reply_cmd)) {
    if (answer_opt->count() > 0) reply.answer = reply_answer;
    reply.sleep = Ms(reply_sleep);
    reply.command_timeout = Ms(reply_command_timeout);
    return RunReply(g, reply);
  }
  if (app.got_subcommand(bench_cmd)) {
    bench.size = static_cast<size_t>(*tern::units::ParseSize(bench_size));
    bench.timeout = Ms(bench_timeout);
    bench.request_timeout = Ms(bench_request_timeout);
    bench.progress = !no_progress;
    return RunBench(g, bench);
  }
  if (app.got_subcommand(status_cmd)) return RunStatus(g, status);
  if (app.got_subcommand(passwd_cmd)) return RunPasswd(passwd);
  return kExitUsage;
}
