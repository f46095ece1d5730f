#include "test_certs.h"

#include <unistd.h>

#include <cstdlib>
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

}  // namespace

const TestCerts* GetTestCerts(std::string* error) {
  static std::once_flag once;
  static std::unique_ptr<TestCerts> certs;
  static std::string failure;
  std::call_once(once, [] {
    char pattern[] = "/tmp/tern-certs-XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
      failure = "mkdtemp failed";
      return;
    }
    std::string dir = pattern;
    std::string why;
    bool ok = MakeCa(dir, "ca", &why) &&
              MakeSigned(dir, "server", "/CN=localhost", "DNS:localhost,IP:127.0.0.1,IP:::1", "ca", &why) &&
              MakeSigned(dir, "client", "/CN=alice/O=tern-tests", "", "ca", &why) && MakeCa(dir, "other_ca", &why) &&
              MakeSigned(dir, "other_server", "/CN=localhost", "DNS:localhost,IP:127.0.0.1", "other_ca", &why);
    if (!ok) {
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
    // Removed when the test process exits; a crashed run leaves a small dir in /tmp.
    std::atexit([] {
      std::error_code ec;
      if (certs) std::filesystem::remove_all(certs->dir, ec);
    });
  });
  if (!certs && error != nullptr) *error = failure;
  return certs.get();
}

}  // namespace tern::testing
