#include "monitor/event_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace tern::monitor {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(EventFileTest, AppendsLinesAndRotatesBySizeKeepingMaxFiles) {
  char dir_template[] = "/tmp/tern-events-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const std::string path = dir + "/events.jsonl";
  {
    EventFile file(path, 100, 3);
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(file.Append("{\"seq\":" + std::to_string(i) + ",\"pad\":\"xxxxxxxxxx\"}").ok());
  }
  // 28-29 bytes a line, 100 bytes a file: 3 lines each; 3 files kept.
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_TRUE(std::filesystem::exists(path + ".1"));
  EXPECT_TRUE(std::filesystem::exists(path + ".2"));
  EXPECT_FALSE(std::filesystem::exists(path + ".3"));
  for (const char* suffix : {"", ".1", ".2"}) EXPECT_LE(std::filesystem::file_size(path + suffix), 100u) << suffix;
  std::string current = Read(path);
  EXPECT_NE(current.find("{\"seq\":19,"), std::string::npos);
  EXPECT_EQ(current.back(), '\n');
  EXPECT_NE(Read(path + ".1").find("\"seq\":17,"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(EventFileTest, AnUnwritablePathIsAnErrorNamingIt) {
  EventFile file("/nonexistent-dir/events.jsonl", 100, 2);
  base::Status s = file.Append("{}");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/nonexistent-dir/events.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace tern::monitor
