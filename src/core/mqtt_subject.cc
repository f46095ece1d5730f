#include "core/mqtt_subject.h"

namespace tern::core {

namespace {

bool IsSubjectWhitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Appends one MQTT level as a token; false when it cannot be one.
bool AppendLevel(std::string_view level, bool filter, std::string* out) {
  if (level.empty()) {
    out->push_back('/');
    return true;
  }
  if (level == "*" || level == ">") return false;
  if (filter && level == "+") {
    out->push_back('*');
    return true;
  }
  if (filter && level == "#") {
    out->push_back('>');
    return true;
  }
  for (char c : level) {
    if (IsSubjectWhitespace(c)) return false;
    if (c == '.') {
      out->append("//");
    } else {
      out->push_back(c);
    }
  }
  return true;
}

bool Convert(std::string_view topic, bool filter, std::string* out) {
  out->clear();
  out->reserve(topic.size() + 2);
  for (;;) {
    const size_t slash = topic.find('/');
    if (!AppendLevel(topic.substr(0, slash), filter, out)) return false;
    if (slash == std::string_view::npos) return true;
    out->push_back('.');
    topic.remove_prefix(slash + 1);
  }
}

}  // namespace

bool MqttTopicToSubject(std::string_view topic, std::string* subject) { return Convert(topic, false, subject); }

bool MqttFilterToSubjects(std::string_view filter, std::string* subject, std::string* parent) {
  parent->clear();
  if (!Convert(filter, true, subject)) return false;
  if (filter.size() >= 2 && filter.ends_with("/#")) {
    // "a/#" -> "a.>"; its parent is the pattern without the last token.
    parent->assign(*subject, 0, subject->size() - 2);
  }
  return true;
}

void SubjectToMqttTopic(std::string_view subject, std::string* topic) {
  topic->clear();
  topic->reserve(subject.size());
  for (;;) {
    const size_t dot = subject.find('.');
    std::string_view token = subject.substr(0, dot);
    if (token != "/") {
      for (size_t i = 0; i < token.size(); ++i) {
        if (token[i] == '/' && i + 1 < token.size() && token[i + 1] == '/') {
          topic->push_back('.');
          ++i;
        } else {
          topic->push_back(token[i]);
        }
      }
    }
    if (dot == std::string_view::npos) return;
    topic->push_back('/');
    subject.remove_prefix(dot + 1);
  }
}

}  // namespace tern::core
