// Files embedded into the binary at build time (cmake/EmbedAssets.cmake):
// the web dashboard (web/dashboard), served at / by the monitoring listener.
#pragma once

#include <span>
#include <string_view>

namespace tern::monitor {

struct EmbeddedAsset {
  std::string_view path;  // relative to web/dashboard: "index.html", "app.js"
  std::string_view bytes;
};

std::span<const EmbeddedAsset> EmbeddedAssets();

}  // namespace tern::monitor
