#include "monitor/query.h"

#include <gtest/gtest.h>

namespace tern::monitor {
namespace {

TEST(QueryTest, SplitsPathAndDecodesOptions) {
  Target t = ParseTarget("/subsz?subs=1&test=a%2Eb+c&empty=&flag&subs=0");
  EXPECT_EQ(t.path, "/subsz");
  EXPECT_EQ(t.Get("subs"), "1");  // the first of a repeated option, as Go's Query().Get
  EXPECT_EQ(t.Get("test"), "a.b c");
  EXPECT_TRUE(t.Has("empty"));
  EXPECT_TRUE(t.Has("flag"));
  EXPECT_FALSE(t.Has("nope"));
  EXPECT_EQ(ParseTarget("/varz").path, "/varz");
  EXPECT_EQ(ParseTarget("/x?bad=%zz%4").Get("bad"), "%zz%4");
}

TEST(QueryTest, BooleansAndNumbersAsNatsServerReadsThem) {
  Target t = ParseTarget("/connz?a=1&b=TRUE&c=0&d=false&e=yes&n=25&m=-1&x=");
  EXPECT_TRUE(t.Bool("a").value());
  EXPECT_TRUE(t.Bool("b").value());
  EXPECT_FALSE(t.Bool("c").value());
  EXPECT_FALSE(t.Bool("d").value());
  EXPECT_FALSE(t.Bool("absent").value());
  EXPECT_FALSE(t.Bool("x").value());
  EXPECT_FALSE(t.Bool("e").ok());
  EXPECT_EQ(t.Bool("e").message(), "Error decoding boolean for 'e': strconv.ParseBool: parsing \"yes\": invalid syntax");
  EXPECT_EQ(t.Uint("n", 7).value(), 25u);
  EXPECT_EQ(t.Uint("absent", 7).value(), 7u);
  EXPECT_FALSE(t.Uint("m", 7).ok());
}

}  // namespace
}  // namespace tern::monitor
