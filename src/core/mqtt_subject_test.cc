#include "core/mqtt_subject.h"

#include <gtest/gtest.h>

#include "proto/subject.h"

namespace tern::core {
namespace {

std::string Topic(std::string_view topic) {
  std::string s;
  EXPECT_TRUE(MqttTopicToSubject(topic, &s)) << topic;
  return s;
}

std::string Back(std::string_view subject) {
  std::string t;
  SubjectToMqttTopic(subject, &t);
  return t;
}

TEST(MqttSubject, TopicsAsNatsServerMapsThem) {
  EXPECT_EQ(Topic("a/b/c"), "a.b.c");
  EXPECT_EQ(Topic("a.b/c"), "a//b.c");
  EXPECT_EQ(Topic("/a"), "/.a");
  EXPECT_EQ(Topic("a//b"), "a./.b");
  EXPECT_EQ(Topic("a/"), "a./");
  EXPECT_EQ(Topic("/"), "/./");
  EXPECT_EQ(Topic("$SYS/broker"), "$SYS.broker");
  EXPECT_EQ(Topic("a*b/c>"), "a*b.c>");  // only whole-token wildcards mean anything to NATS
}

TEST(MqttSubject, EveryMappedTopicIsALiteralSubjectAndComesBack) {
  for (std::string_view topic : {"a", "a/b", "a.b", "..", "/", "//", "a//", "/a/", "x/y.z/", "$share-not/x"}) {
    std::string subject = Topic(topic);
    EXPECT_TRUE(proto::IsValidLiteralSubject(subject)) << topic << " -> " << subject;
    EXPECT_EQ(Back(subject), topic);
  }
}

TEST(MqttSubject, RefusesWhatNatsCannotCarry) {
  std::string s;
  EXPECT_FALSE(MqttTopicToSubject("a b", &s));
  EXPECT_FALSE(MqttTopicToSubject("a/\t", &s));
  EXPECT_FALSE(MqttTopicToSubject("a/*", &s));
  EXPECT_FALSE(MqttTopicToSubject(">", &s));
  std::string p;
  EXPECT_FALSE(MqttFilterToSubjects("a/*/b", &s, &p));
  EXPECT_FALSE(MqttFilterToSubjects("a />", &s, &p));
}

TEST(MqttSubject, FiltersBecomePatterns) {
  std::string s, p;
  ASSERT_TRUE(MqttFilterToSubjects("a/+/c", &s, &p));
  EXPECT_EQ(s, "a.*.c");
  EXPECT_EQ(p, "");
  ASSERT_TRUE(MqttFilterToSubjects("a/#", &s, &p));
  EXPECT_EQ(s, "a.>");
  EXPECT_EQ(p, "a");
  ASSERT_TRUE(MqttFilterToSubjects("#", &s, &p));
  EXPECT_EQ(s, ">");
  EXPECT_EQ(p, "");
  ASSERT_TRUE(MqttFilterToSubjects("/#", &s, &p));
  EXPECT_EQ(s, "/.>");
  EXPECT_EQ(p, "/");
  ASSERT_TRUE(MqttFilterToSubjects("+/x.y/#", &s, &p));
  EXPECT_EQ(s, "*.x//y.>");
  EXPECT_EQ(p, "*.x//y");
  EXPECT_TRUE(proto::SubjectMatches(s, Topic("q/x.y/z")));
  EXPECT_TRUE(proto::SubjectMatches(p, Topic("q/x.y")));
  EXPECT_FALSE(proto::SubjectMatches(s, Topic("q/x/y/z")));
}

TEST(MqttSubject, FilterStartsWithWildcard) {
  EXPECT_TRUE(FilterStartsWithWildcard("#"));
  EXPECT_TRUE(FilterStartsWithWildcard("+/a"));
  EXPECT_FALSE(FilterStartsWithWildcard("a/#"));
  EXPECT_FALSE(FilterStartsWithWildcard("$SYS/#"));
}

}  // namespace
}  // namespace tern::core
