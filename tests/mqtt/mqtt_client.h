// A blocking MQTT client over a raw socket for transcript tests, in the
// style of mosquitto's test/broker/*.py: send a packet (or raw bytes),
// expect the next packet by its one-line description (proto/mqtt/describe.h).
// Every read has a deadline, so a silent server fails the test instead of
// hanging it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/mqtt/decoder.h"
#include "proto/mqtt/describe.h"
#include "proto/mqtt/packets.h"

namespace tern::testing {

namespace pm = proto::mqtt;
using Millis = std::chrono::milliseconds;

class MqttClient {
 public:
  explicit MqttClient(pm::Version version = pm::Version::kV311);
  ~MqttClient();
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  ::testing::AssertionResult Open(int port);
  void Close();
  pm::Version version() const { return version_; }

  ::testing::AssertionResult SendRaw(std::string_view bytes);
  ::testing::AssertionResult Send(const pm::Packet& packet);

  // The next packet's description; nullopt on timeout or close (see error()).
  std::optional<std::string> Next(Millis timeout = Millis(2000));
  // The packet Next() last returned; valid until the next call.
  const pm::Packet& last() const { return last_; }
  ::testing::AssertionResult Expect(std::string_view described, Millis timeout = Millis(2000));
  // The next packet's description starts with `prefix`.
  ::testing::AssertionResult ExpectPrefix(std::string_view prefix, Millis timeout = Millis(2000));
  // The server closes within the timeout; packets before the close must
  // be none, or (when given) these in order.
  ::testing::AssertionResult ExpectClosed(Millis timeout = Millis(2000), std::vector<std::string> before = {});
  // Nothing arrives for `quiet`.
  ::testing::AssertionResult ExpectSilence(Millis quiet = Millis(300));

  // CONNECT with these settings, and the CONNACK's description prefix
  // ("CONNACK reason=0x00" or "CONNACK session_present reason=0x00").
  ::testing::AssertionResult Connect(std::string_view client_id, bool clean = true, uint16_t keep_alive = 60,
                                     std::string_view connack_prefix = "CONNACK reason=0x00");
  ::testing::AssertionResult Subscribe(uint16_t id, std::string_view filter, pm::Qos qos,
                                       std::string_view suback = "");
  ::testing::AssertionResult Publish(std::string_view topic, std::string_view payload, pm::Qos qos = pm::Qos::kAtMostOnce,
                                     uint16_t id = 0, bool retain = false);

  const std::string& error() const { return error_; }

 private:
  enum class Fill { kOk, kTimeout, kClosed };
  Fill FillBuffer(std::chrono::steady_clock::time_point deadline);

  pm::Version version_;
  int fd_ = -1;
  pm::Decoder decoder_;
  std::string buf_;
  size_t pending_erase_ = 0;  // bytes of last_ still in buf_
  pm::Packet last_;
  std::string error_;
};

// The packet with these fields, for Send().
pm::Connect MakeConnect(pm::Version version, std::string_view client_id, bool clean = true, uint16_t keep_alive = 60);

}  // namespace tern::testing
