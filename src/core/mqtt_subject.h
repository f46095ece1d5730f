// One subject space for MQTT and NATS: how an MQTT topic name or topic filter
// becomes a core subject, and back. The same mapping as nats-server's
// (mqttTopicToNATSPubSubject), so an application that moves between the two
// servers keeps its subjects:
//
//   MQTT                      core / NATS
//   a/b/c                     a.b.c            levels are tokens
//   a.b/c                     a//b.c           '.' inside a level is "//"
//   /a, a//b, a/              /.a, a./.b, a./  an empty level is the token "/"
//   +                         *                one level
//   a/#                       a.> and a        '#' also matches its parent level
//   #                         >
//   $SYS/x                    $SYS.x           '$' topics are ordinary subjects; the
//                                              MQTT session keeps a filter that starts
//                                              with a wildcard off them (MQTT-4.7.2-1)
//
// What NATS cannot carry is refused rather than bent: whitespace in a level
// (subjects have none), and a level that is exactly "*" or ">" (a NATS
// wildcard, not a literal). A NATS subject whose token holds a single '/'
// reads as two MQTT levels; nothing MQTT publishes produces one.
#pragma once

#include <string>
#include <string_view>

namespace tern::core {

// A topic name (PUBLISH, Will, Response Topic) as a literal subject. False,
// with `subject` unspecified, when NATS cannot express it.
bool MqttTopicToSubject(std::string_view topic, std::string* subject);

// A topic filter (SUBSCRIBE) as a subject pattern; `parent` gets the
// pattern of the level above a trailing '#' ("a/#" also matches "a"), and
// stays empty when there is none. False when NATS cannot express it.
bool MqttFilterToSubjects(std::string_view filter, std::string* subject, std::string* parent);

// The MQTT topic a subject is delivered under.
void SubjectToMqttTopic(std::string_view subject, std::string* topic);

// Whether a filter starts with a wildcard, which must not match topics that
// start with '$' (MQTT-4.7.2-1).
inline bool FilterStartsWithWildcard(std::string_view filter) {
  return !filter.empty() && (filter[0] == '+' || filter[0] == '#');
}

}  // namespace tern::core
