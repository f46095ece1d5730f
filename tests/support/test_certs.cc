#include "test_certs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>

namespace tern::testing {
namespace {

// P-256 rather than RSA: an RSA-2048 key takes openssl up to a second to
// find, and every test process that speaks TLS makes five.
constexpr char kKeyArgs[] = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1";

bool Run(const std::string& command, std::string* error) {
  std::string full = command + " >/dev/null 2>&1";
  if (std::system(full.c_str()) == 0) return true;
  *error = "failed: " + command;
  return false;
}

bool MakeCa(const std::string& dir, const std::string& name, std::string* error) {
  return Run("openssl req -x509 " + std::string(kKeyArgs) + " -nodes -days 2 -subj /CN=" + name + " -keyout " + dir +
                 "/" + name + ".key -out " + dir + "/" + name + ".pem",
             error);
}

bool MakeSigned(const std::string& dir, const std::string& name, const std::string& subject, const std::string& san,
                const std::string& ca, std::string* error) {
  std::string ext = dir + "/" + name + ".ext";
  {
    std::ofstream out(ext);
    if (!san.empty()) out << "subjectAltName=" << san << "\n";
    out << "basicConstraints=CA:FALSE\n";
  }
  return Run("openssl req " + std::string(kKeyArgs) + " -nodes -subj " + subject + " -keyout " + dir + "/" + name +
                 ".key -out " + dir + "/" + name + ".csr",
             error) &&
         Run("openssl x509 -req -days 2 -in " + dir + "/" + name + ".csr -CA " + dir + "/" + ca + ".pem -CAkey " + dir +
                 "/" + ca + ".key -CAcreateserial -extfile " + ext + " -out " + dir + "/" + name + ".pem",
             error);
}

// Every CTest entry is a process of its own, so a per-process set would be
// made hundreds of times a run. One set per user and day is shared through
// a directory that appears whole (made aside, then renamed into place);
// certificates last two days, so a set from today outlives any run that
// starts today. Older sets are left for /tmp's cleaner: a run in progress
// may still be reading one.
std::string SharedDir() {
  const char* tmp = std::getenv("TMPDIR");
  char day[16];
  const std::time_t now = std::time(nullptr);
  std::strftime(day, sizeof(day), "%Y%m%d", std::gmtime(&now));
  return std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/tern-test-certs-" + std::to_string(::getuid()) +
         "-p256-" + day;
}

bool Complete(const std::string& dir) {
  for (const char* f : {"ca.pem", "server.pem", "server.key", "client.pem", "client.key", "other_ca.pem",
                        "other_server.pem", "other_server.key"}) {
    if (::access((dir + "/" + f).c_str(), R_OK) != 0) return false;
  }
  return true;
}

bool MakeAll(const std::string& dir, std::string* why) {
  return MakeCa(dir, "ca", why) &&
         MakeSigned(dir, "server", "/CN=localhost", "DNS:localhost,IP:127.0.0.1,IP:::1", "ca", why) &&
         MakeSigned(dir, "client", "/CN=alice/O=tern-tests", "", "ca", why) && MakeCa(dir, "other_ca", why) &&
         MakeSigned(dir, "other_server", "/CN=localhost", "DNS:localhost,IP:127.0.0.1", "other_ca", why);
}

// The shared directory, made if this process is the first of the day.
bool Prepare(std::string* dir, std::string* why) {
  *dir = SharedDir();
  if (Complete(*dir)) return true;
  std::string scratch = *dir + ".XXXXXX";
  if (::mkdtemp(scratch.data()) == nullptr) {
    *why = "mkdtemp " + scratch + " failed";
    return false;
  }
  std::error_code ec;
  if (!MakeAll(scratch, why)) {
    std::filesystem::remove_all(scratch, ec);
    return false;
  }
  ::chmod(scratch.c_str(), 0755);
  // Losing the race to another process is fine: its set is as good.
  if (::rename(scratch.c_str(), dir->c_str()) != 0) std::filesystem::remove_all(scratch, ec);
  if (!Complete(*dir)) {
    *why = "certificates in " + *dir + " are incomplete";
    return false;
  }
  return true;
}

}  // namespace

const TestCerts* GetTestCerts(std::string* error) {
  static std::once_flag once;
  static std::unique_ptr<TestCerts> certs;
  static std::string failure;
  std::call_once(once, [] {
    std::string dir, why;
    if (!Prepare(&dir, &why)) {
      failure = why;
      return;
    }
    auto c = std::make_unique<TestCerts>();
    c->dir = dir;
    c->ca_cert = dir + "/ca.pem";
    c->ca_key = dir + "/ca.key";
    c->server_cert = dir + "/server.pem";
    c->server_key = dir + "/server.key";
    c->client_cert = dir + "/client.pem";
    c->client_key = dir + "/client.key";
    c->other_ca_cert = dir + "/other_ca.pem";
    c->other_server_cert = dir + "/other_server.pem";
    c->other_server_key = dir + "/other_server.key";
    certs = std::move(c);
  });
  if (!certs && error != nullptr) *error = failure;
  return certs.get();
}

}  // namespace tern::testing
