#include "proto/route/info.h"

#include <nlohmann/json.hpp>

namespace tern::proto::route {

std::string EncodeInfo(const RouteInfo& info) {
  nlohmann::ordered_json j;
  j["server_id"] = info.server_id;
  j["server_name"] = info.server_name;
  j["cluster"] = info.cluster;
  j["version"] = info.version;
  j["route_protocol"] = info.route_protocol;
  j["route_url"] = info.route_url;
  j["connect_urls"] = info.connect_urls;
  j["routes"] = info.routes;
  if (info.auth_required) j["auth_required"] = true;
  if (info.lame_duck) j["lame_duck"] = true;
  if (info.paused) j["paused"] = true;
  return "INFO " + j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\r\n";
}

bool ParseInfo(std::string_view json, RouteInfo* out, std::string* error) {
  auto fail = [error](std::string why) {
    if (error != nullptr) *error = std::move(why);
    return false;
  };
  nlohmann::json j = nlohmann::json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return fail("route INFO is not a JSON object");
  RouteInfo info;
  auto text = [&](const char* key, std::string* field) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return true;
    if (!it->is_string()) return false;
    *field = it->get<std::string>();
    return true;
  };
  auto list = [&](const char* key, std::vector<std::string>* field) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return true;
    if (!it->is_array()) return false;
    for (const auto& e : *it) {
      if (!e.is_string()) return false;
      field->push_back(e.get<std::string>());
    }
    return true;
  };
  for (auto [key, field] : {std::pair{"server_id", &info.server_id}, std::pair{"server_name", &info.server_name},
                            std::pair{"cluster", &info.cluster}, std::pair{"version", &info.version},
                            std::pair{"route_url", &info.route_url}}) {
    if (!text(key, field)) return fail(std::string("route INFO: ") + key + " is not a string");
  }
  for (auto [key, field] : {std::pair{"connect_urls", &info.connect_urls}, std::pair{"routes", &info.routes}}) {
    if (!list(key, field)) return fail(std::string("route INFO: ") + key + " is not a list of strings");
  }
  // A peer too old to send a version speaks no protocol we know: 0.
  info.route_protocol = 0;
  if (auto it = j.find("route_protocol"); it != j.end()) {
    if (!it->is_number_integer()) return fail("route INFO: route_protocol is not an integer");
    info.route_protocol = it->get<int>();
  }
  if (auto it = j.find("lame_duck"); it != j.end() && it->is_boolean()) info.lame_duck = it->get<bool>();
  if (auto it = j.find("paused"); it != j.end() && it->is_boolean()) info.paused = it->get<bool>();
  if (auto it = j.find("auth_required"); it != j.end() && it->is_boolean()) info.auth_required = it->get<bool>();
  if (info.server_id.empty()) return fail("route INFO: no server_id");
  *out = std::move(info);
  return true;
}

std::string EncodeConnect(const RouteConnect& connect) {
  nlohmann::ordered_json j;
  j["user"] = connect.user;
  j["pass"] = connect.pass;
  j["name"] = connect.name;
  return "CONNECT " + j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\r\n";
}

bool ParseConnect(std::string_view json, RouteConnect* out, std::string* error) {
  nlohmann::json j = nlohmann::json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    if (error != nullptr) *error = "route CONNECT is not a JSON object";
    return false;
  }
  RouteConnect connect;
  for (auto [key, field] :
       {std::pair{"user", &connect.user}, std::pair{"pass", &connect.pass}, std::pair{"name", &connect.name}}) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_string()) {
      if (error != nullptr) *error = std::string("route CONNECT: ") + key + " is not a string";
      return false;
    }
    *field = it->get<std::string>();
  }
  *out = std::move(connect);
  return true;
}

}  // namespace tern::proto::route
