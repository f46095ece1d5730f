// The web dashboard: web/dashboard's files, embedded at build time, served
// at / (index.html) and /dashboard/<file>.
#include "monitor/assets.h"
#include "monitor/monitor.h"

namespace tern::monitor {
namespace {

std::string_view ContentType(std::string_view path) {
  if (path.ends_with(".html")) return "text/html; charset=utf-8";
  if (path.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace

bool DashboardFile(std::string_view path, Response* response) {
  std::string_view file;
  if (path == "/" || path.empty()) {
    file = "index.html";
  } else if (path.starts_with(kDashboardPrefix)) {
    file = path.substr(kDashboardPrefix.size());
  } else {
    return false;
  }
  for (const EmbeddedAsset& asset : EmbeddedAssets()) {
    if (asset.path == file) {
      *response = {200, std::string(ContentType(file)), std::string(asset.bytes), {}};
      return true;
    }
  }
  return false;
}

}  // namespace tern::monitor
