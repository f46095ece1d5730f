#include "proto/mqtt/topic.h"

#include <gtest/gtest.h>

namespace tern::proto::mqtt {
namespace {

// The examples of 4.7.1.2 and 4.7.1.3, and the edges around them.
TEST(TopicTest, Filters) {
  for (const char* ok :
       {"sport/tennis/player1/#", "sport/#", "#", "sport/tennis/#", "+", "+/tennis/#", "sport/+/player1", "/+", "+/+",
        "/finance", "a//b", "/", "//", "$SYS/#", "a/+/+/#", "sport tennis", "\xc3\xa9/+"}) {
    EXPECT_TRUE(IsValidTopicFilter(ok)) << ok;
  }
  for (const char* bad : {"", "sport/tennis#", "sport/tennis/#/ranking", "sport+", "#/a", "a/#b", "a/b#", "+a", "a+/b",
                          "a/+b", "##", "++", "a/#/"}) {
    EXPECT_FALSE(IsValidTopicFilter(bad)) << bad;
  }
}

TEST(TopicTest, Names) {
  for (const char* ok : {"a", "/", "sport/tennis/player1", "$SYS/broker", "a//b", " "}) {
    EXPECT_TRUE(IsValidTopicName(ok)) << ok;
  }
  for (const char* bad : {"", "+", "#", "a/+", "a/#", "sport+", "a#"}) EXPECT_FALSE(IsValidTopicName(bad)) << bad;
  EXPECT_TRUE(HasWildcard("a+"));
  EXPECT_FALSE(HasWildcard("a/b"));
}

// 4.8.2: "$share/{ShareName}/{filter}".
TEST(TopicTest, SharedSubscriptions) {
  EXPECT_EQ(ParseSharedSubscription("$share/consumer1/sport/tennis/+"),
            (SharedSubscription{"consumer1", "sport/tennis/+"}));
  EXPECT_EQ(ParseSharedSubscription("$share/consumer2/sport/tennis/+"),
            (SharedSubscription{"consumer2", "sport/tennis/+"}));
  EXPECT_EQ(ParseSharedSubscription("$share/g/#"), (SharedSubscription{"g", "#"}));
  EXPECT_EQ(ParseSharedSubscription("$share/g//"), (SharedSubscription{"g", "/"}));
  EXPECT_EQ(ParseSharedSubscription("$share/g/$share/x"), (SharedSubscription{"g", "$share/x"}));
  for (const char* bad : {"$share/", "$share//a", "$share/g", "$share/g/", "$share/g+/a", "$share/g#/a", "$share/+/a",
                          "$share/#/a", "$share/g/a#", "$share/g/a/#/b"}) {
    EXPECT_FALSE(ParseSharedSubscription(bad)) << bad;
    EXPECT_TRUE(IsSharedSubscription(bad)) << bad;
    EXPECT_FALSE(IsValidTopicFilter(bad)) << bad;
  }
  for (const char* plain : {"$share", "$sharegroup/a", "$SHARE/g/a", "a/$share/g/b"}) {
    EXPECT_FALSE(IsSharedSubscription(plain)) << plain;
    EXPECT_FALSE(ParseSharedSubscription(plain)) << plain;
  }
  EXPECT_TRUE(IsValidTopicFilter("$share/g/a/+/#"));
}

}  // namespace
}  // namespace tern::proto::mqtt
