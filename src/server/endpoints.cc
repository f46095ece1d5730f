#include <algorithm>

#include "server/endpoint.h"
#include "server/mqtt/mqtt_session.h"
#include "server/nats_client_session.h"
#include "server/ws_stage.h"

namespace tern::server {

io::TlsConfig ToTlsConfig(const TlsOptions& tls) {
  io::TlsConfig config;
  config.cert_file = tls.cert_file;
  config.key_file = tls.key_file;
  config.ca_file = tls.ca_file;
  config.verify_peer = tls.verify || tls.verify_and_map;
  config.min_version = tls.min_version;
  return config;
}

namespace {

base::Status AttachTls(const TlsOptions& tls, std::string_view option, Endpoint& endpoint) {
  auto context = io::TlsContext::Create(ToTlsConfig(tls), io::TlsContext::Role::kServer);
  if (!context.ok()) return base::Status(std::string(option) + ": " + context.message());
  endpoint.tls = std::move(context).value();
  endpoint.tls_verify = tls.verify || tls.verify_and_map;
  endpoint.tls_timeout = tls.timeout;
  endpoint.tls_fallback = tls.handshake_first_fallback;
  return base::Status::Ok();
}

}  // namespace

std::chrono::milliseconds Endpoint::handshake_timeout() const {
  std::chrono::milliseconds timeout{0};
  if (tls_mode != TlsMode::kNone) timeout += tls_timeout;
  if (websocket) timeout += websocket->handshake_timeout;
  return timeout;
}

base::Result<std::vector<Endpoint>> BuildEndpoints(const Options& options, const SessionFactory& http) {
  std::vector<Endpoint> endpoints;
  SessionFactory nats = [](Connection& conn) { return std::make_unique<NatsClientSession>(conn); };

  Endpoint client;
  client.name = "client";
  client.host = options.addr;
  // As in nats-server: 0 means the default port, -1 a random one.
  client.port = options.port == 0 ? 4222 : options.port;
  client.new_session = nats;
  if (options.tls.enabled()) {
    if (base::Status s = AttachTls(options.tls, "tls", client); !s.ok()) return s;
    switch (options.tls.handshake_first) {
      case TlsHandshakeFirst::kOff:
        client.tls_mode = TlsMode::kAfterGreeting;
        break;
      case TlsHandshakeFirst::kOn:
        client.tls_mode = TlsMode::kImplicit;
        break;
      case TlsHandshakeFirst::kAuto:
        client.tls_mode = TlsMode::kAuto;
        break;
    }
  }
  if (client.tls_mode == TlsMode::kNone || client.tls_mode == TlsMode::kAfterGreeting) {
    client.refusal = "-ERR 'connection rate exceeded'\r\n";
  }
  endpoints.push_back(std::move(client));

  if (options.websocket.enabled()) {
    Endpoint ws;
    ws.name = "websocket";
    ws.host = options.websocket.host.empty() ? options.addr : options.websocket.host;
    ws.port = options.websocket.port;
    ws.websocket = options.websocket;
    ws.new_session = nats;
    ws.websocket_policy = MakeWebsocketPolicy(options.websocket, options.websocket.secure());
    if (options.websocket.secure()) {
      if (base::Status s = AttachTls(options.websocket.tls, "websocket.tls", ws); !s.ok()) return s;
      ws.tls_mode = TlsMode::kImplicit;  // wss://: TLS first, then the HTTP upgrade
    }
    endpoints.push_back(std::move(ws));
  }

  if (options.http_port != 0 && http) {
    Endpoint monitor;
    monitor.name = "http";
    monitor.host = options.http.host.empty() ? options.addr : options.http.host;
    monitor.port = options.http_port;
    monitor.new_session = http;
    monitor.monitor_worker = true;
    if (options.http.tls.enabled()) {
      if (base::Status s = AttachTls(options.http.tls, "http.tls", monitor); !s.ok()) return s;
      monitor.tls_mode = TlsMode::kImplicit;  // https://
    }
    endpoints.push_back(std::move(monitor));
  }
  const MqttOptions& mqtt = options.mqtt;
  SessionFactory mqtt_session = [](Connection& conn) { return std::make_unique<MqttSession>(conn); };
  const std::string mqtt_host = mqtt.host.empty() ? options.addr : mqtt.host;
  if (mqtt.port != 0) {
    Endpoint e;
    e.name = "mqtt";
    e.host = mqtt_host;
    e.port = mqtt.port;
    e.new_session = mqtt_session;
    endpoints.push_back(std::move(e));
  }
  if (mqtt.tls.enabled()) {
    Endpoint e;
    e.name = "mqtt_tls";
    e.host = mqtt_host;
    e.port = mqtt.tls_port;
    e.new_session = mqtt_session;
    if (base::Status s = AttachTls(mqtt.tls, "mqtt.tls", e); !s.ok()) return s;
    e.tls_mode = TlsMode::kImplicit;
    endpoints.push_back(std::move(e));
  }
  if (mqtt.websocket.enabled()) {
    Endpoint e;
    e.name = "mqtt_websocket";
    e.host = mqtt.websocket.host.empty() ? mqtt_host : mqtt.websocket.host;
    e.port = mqtt.websocket.port;
    e.websocket = mqtt.websocket;
    e.new_session = mqtt_session;
    auto policy = MakeWebsocketPolicy(mqtt.websocket, mqtt.websocket.secure());
    // MQTT-6.0.0-3/-4: the subprotocol is "mqtt"; "mqttv3.1" is what 3.1
    // clients (and some libraries still) offer. Browsers' MQTT.js uses /mqtt.
    auto mqtt_policy = std::make_shared<proto::ws::ServerPolicy>(*policy);
    mqtt_policy->subprotocols = {"mqtt", "mqttv3.1"};
    mqtt_policy->path = "/mqtt";
    e.websocket_policy = std::move(mqtt_policy);
    if (mqtt.websocket.secure()) {
      if (base::Status s = AttachTls(mqtt.websocket.tls, "mqtt.websocket.tls", e); !s.ok()) return s;
      e.tls_mode = TlsMode::kImplicit;
    }
    endpoints.push_back(std::move(e));
  }
  return endpoints;
}

}  // namespace tern::server
