// The nats-server syntax reader on its own: every construct of conf/lex.go
// and conf/parse.go that a real file uses, and its errors with file:line.
#include "server/config/nats_conf.h"

#include "server/config/builder.h"
#include "server/config/config_test_util.h"

namespace tern::server::config {
namespace {

class NatsConfTest : public ConfigTest {
 protected:
  // Parses `text` as file `name` in the test directory.
  bool Parse(const std::string& text, Node* root, const Env& env = {}, const std::string& name = "t.conf") {
    errors_.clear();
    return ParseNatsConf(WriteFile(name, text), text, env, root, &errors_);
  }
  Node ParseOk(const std::string& text, const Env& env = {}) {
    Node root;
    EXPECT_TRUE(Parse(text, &root, env)) << Joined(errors_);
    return root;
  }
  // The error for `text`, which must fail.
  std::string ErrorFor(const std::string& text) {
    Node root;
    EXPECT_FALSE(Parse(text, &root)) << text;
    return errors_.empty() ? "" : errors_[0];
  }
  std::string Path(const std::string& name = "t.conf") { return (dir_ / name).string(); }

  std::vector<std::string> errors_;
};

// "a.b.c": the value at that path of blocks.
const Node& At(const Node& root, std::string_view path) {
  const Node* n = &root;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string key(path.substr(start, dot - start));
    const Entry* e = n->Find(key);
    if (e == nullptr) {
      ADD_FAILURE() << "no " << key << " in " << path;
      static const Node kNone;
      return kNone;
    }
    n = &e->value;
    if (dot == std::string_view::npos) return *n;
    start = dot + 1;
  }
}

TEST_F(NatsConfTest, KeySeparatorsAndTerminators) {
  Node root = ParseOk("a = 1\nb: 2\nc 3\nd=4; e=5, f: 6\n  g    :   7   # trailing comment\nh: 8 // another\n");
  for (auto [key, value] :
       {std::pair{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}, {"e", "5"}, {"f", "6"}, {"g", "7"}, {"h", "8"}}) {
    EXPECT_EQ(At(root, key).text, value) << key;
    EXPECT_EQ(At(root, key).type, Node::Type::kInteger) << key;
  }
  EXPECT_EQ(root.Find("g")->line, 5);
  // The whole file may sit in one pair of braces, as in JSON.
  EXPECT_EQ(At(ParseOk("{\n  \"port\": 4222,\n  \"debug\": true\n}\n"), "port").text, "4222");
}

TEST_F(NatsConfTest, BlocksAndArraysNest) {
  Node root = ParseOk(R"(
tls {
  cert_file: "c.pem"
  key_file = 'k.pem'; timeout 2
}
websocket: {
  port: 8080, no_tls: true
  tls
  {
    cert_file: x
  }
}
routes = [
  nats://a:6222,
  "nats://b:6222"   # comment inside an array
  // and another
  nats://c:6222
]
nested [1, [2, 3], {k: v}, []]
empty {}
)");
  EXPECT_EQ(At(root, "tls.cert_file").text, "c.pem");
  EXPECT_EQ(At(root, "tls.key_file").text, "k.pem");
  EXPECT_EQ(At(root, "tls.timeout").text, "2");
  EXPECT_EQ(At(root, "websocket.port").text, "8080");
  EXPECT_EQ(At(root, "websocket.no_tls").type, Node::Type::kBool);
  EXPECT_EQ(At(root, "websocket.tls.cert_file").text, "x");
  const Node& routes = At(root, "routes");
  ASSERT_EQ(routes.items.size(), 3u);
  EXPECT_EQ(routes.items[0].text, "nats://a:6222");
  EXPECT_EQ(routes.items[2].text, "nats://c:6222");
  EXPECT_EQ(routes.items[2].line, 17);
  const Node& nested = At(root, "nested");
  ASSERT_EQ(nested.items.size(), 4u);
  EXPECT_EQ(nested.items[1].items[1].text, "3");
  EXPECT_EQ(nested.items[2].Find("k")->value.text, "v");
  EXPECT_EQ(nested.items[3].type, Node::Type::kList);
  EXPECT_EQ(At(root, "empty").type, Node::Type::kMap);
}

TEST_F(NatsConfTest, StringsAndBooleans) {
  Node root = ParseOk(R"(dq: "tab\there \"q\" \\ \x41\n"
sq: 'C:\no\escapes'
bare: some.host-name_1
path: /var/lib/nats
url: nats://user@host:4222
on1: true
on2: YES
on3: on
off1: False
off2: no
off3: OFF
quoted_bool: "true"
escaped_bare: a\tb
block: (
line one
  line two
)
)");
  EXPECT_EQ(At(root, "dq").text, "tab\there \"q\" \\ A\n");
  EXPECT_EQ(At(root, "sq").text, "C:\\no\\escapes");
  EXPECT_EQ(At(root, "bare").text, "some.host-name_1");
  EXPECT_EQ(At(root, "path").text, "/var/lib/nats");
  EXPECT_EQ(At(root, "url").text, "nats://user@host:4222");
  for (const char* key : {"on1", "on2", "on3"}) {
    EXPECT_EQ(At(root, key).type, Node::Type::kBool) << key;
    EXPECT_EQ(At(root, key).text, "true") << key;
  }
  for (const char* key : {"off1", "off2", "off3"}) EXPECT_EQ(At(root, key).text, "false") << key;
  EXPECT_EQ(At(root, "on2").raw, "YES");
  EXPECT_EQ(At(root, "quoted_bool").type, Node::Type::kString);
  EXPECT_EQ(At(root, "escaped_bare").text, "a\tb");
  EXPECT_EQ(At(root, "block").text, "\nline one\n  line two");  // as nats-server keeps it
}

TEST_F(NatsConfTest, NumbersSizesAndThingsThatStartWithADigit) {
  Node root = ParseOk(R"(i: 42
neg: -1
k: 1K
kb: 1KB
ki: 1Ki
kib: 1kib
mb: 2MB
m: 2m
g: 1G
gb: 1gb
t: 1TB
f: 0.5
ip: 127.0.0.1
hostport: 127.0.0.1:4222
d1: 2s
d2: 10ms
d3: 1h30m
date: 2024-01-02T03:04:05Z
)");
  const std::pair<const char*, const char*> ints[] = {{"i", "42"},          {"neg", "-1"},         {"k", "1000"},
                                                      {"kb", "1024"},       {"ki", "1024"},        {"kib", "1024"},
                                                      {"mb", "2097152"},    {"m", "2000000"},      {"g", "1000000000"},
                                                      {"gb", "1073741824"}, {"t", "1099511627776"}};
  for (auto [key, value] : ints) {
    EXPECT_EQ(At(root, key).type, Node::Type::kInteger) << key;
    EXPECT_EQ(At(root, key).text, value) << key;
  }
  EXPECT_EQ(At(root, "m").raw, "2m");
  EXPECT_EQ(At(root, "f").type, Node::Type::kFloat);
  EXPECT_EQ(At(root, "f").text, "0.5");
  for (auto [key, value] : {std::pair{"ip", "127.0.0.1"},
                            {"hostport", "127.0.0.1:4222"},
                            {"d1", "2s"},
                            {"d2", "10ms"},
                            {"d3", "1h30m"},
                            {"date", "2024-01-02T03:04:05Z"}}) {
    EXPECT_EQ(At(root, key).type, Node::Type::kString) << key;
    EXPECT_EQ(At(root, key).text, value) << key;
  }
  EXPECT_TRUE(ErrorFor("x: 99999999999999999999\n").find("t.conf:1: integer '99999999999999999999' is out of range") !=
              std::string::npos);
  EXPECT_TRUE(ErrorFor("x: 9000000EB\n").find("out of range") != std::string::npos);
}

TEST_F(NatsConfTest, IncludeIsRelativeToTheIncludingFile) {
  WriteFile("conf.d/limits.conf", "max_payload: 2MB\ninclude 'more/extra.conf'\n");
  WriteFile("conf.d/more/extra.conf", "max_pending = 64MB\n");
  WriteFile("conf.d/tls.conf", "cert_file: c.pem\n");
  Node root;
  std::string text = "port: 1\ninclude conf.d/limits.conf\ntls {\n  include \"conf.d/tls.conf\"\n}\nmax_payload: 3MB\n";
  ASSERT_TRUE(Parse(text, &root)) << Joined(errors_);
  EXPECT_EQ(At(root, "max_pending").text, std::to_string(64 << 20));
  EXPECT_EQ(*At(root, "max_pending").file, Path("conf.d/more/extra.conf"));
  EXPECT_EQ(At(root, "max_pending").line, 1);
  EXPECT_EQ(At(root, "tls.cert_file").text, "c.pem");
  EXPECT_EQ(At(root, "max_payload").text, std::to_string(3 << 20));  // a later key replaces, as in nats-server

  EXPECT_EQ(ErrorFor("port: 1\ninclude missing.conf\n"), Path() + ":2: include 'missing.conf': cannot read '" +
                                                             Path("missing.conf") + "': No such file or directory");
  WriteFile("loop.conf", "include loop.conf\n");
  EXPECT_NE(ErrorFor("include loop.conf\n").find("includes nested too deep"), std::string::npos);
  WriteFile("broken.conf", "a: 1\nb: \"open\n");
  EXPECT_EQ(ErrorFor("include broken.conf\n"), Path("broken.conf") + ":2: string is not closed");
}

TEST_F(NatsConfTest, VariablesFromTheFileThenTheEnvironment) {
  Node root = ParseOk(R"(PORT = 4333
NAME: "from-file"
port: $PORT
server_name: $NAME
block {
  INNER: 7
  a: $INNER
  b: $PORT
}
env_port: $TERN_TEST_PORT
env_text: $TERN_TEST_TEXT
hash: $2a$11$W2zko751KUvVy59mUTWmpOdWjpEm5qhcCZRd05GjI/sSOT.xtiHyG
)",
                      {{"TERN_TEST_PORT", "5555"}, {"TERN_TEST_TEXT", "\"hello world\""}, {"NAME", "ignored"}});
  EXPECT_EQ(At(root, "port").text, "4333");
  EXPECT_EQ(At(root, "port").type, Node::Type::kInteger);
  EXPECT_EQ(At(root, "port").line, 3);
  EXPECT_EQ(At(root, "server_name").text, "from-file");
  EXPECT_EQ(At(root, "block.a").text, "7");
  EXPECT_EQ(At(root, "block.b").text, "4333");
  EXPECT_EQ(At(root, "env_port").type, Node::Type::kInteger);
  EXPECT_EQ(At(root, "env_port").text, "5555");
  EXPECT_EQ(At(root, "env_text").text, "hello world");
  EXPECT_EQ(At(root, "hash").text, "$2a$11$W2zko751KUvVy59mUTWmpOdWjpEm5qhcCZRd05GjI/sSOT.xtiHyG");
  EXPECT_TRUE(root.Find("PORT")->used_as_variable);
  EXPECT_FALSE(root.Find("port")->used_as_variable);

  EXPECT_EQ(ErrorFor("a: 1\nb: $NOPE\n"), Path() +
                                              ":2: variable $NOPE is not defined (not earlier in an enclosing "
                                              "block, not in the environment)");
  EXPECT_NE(ErrorFor("a { x: 1 }\nb: $x\n").find("variable $x is not defined"), std::string::npos);
}

TEST_F(NatsConfTest, SyntaxErrorsNameFileAndLine) {
  const std::pair<const char*, const char*> cases[] = {
      {"a: 1\nb: \"open\n", ":2: string is not closed"},
      {"a: 1\nb =\n2\n", ":2: 'b' has no value: a new line follows its separator"},
      {"a: 1\nb: \"\\q\"\n", ":2: invalid escape '\\q'"},
      {"a: 1\nb: 2 x\n", ":2: after the value of 'b': expected a new line, ';' or ',', found 'x'"},
      {"a {\n  b: 1\n", ":1: block is not closed: missing '}'"},
      {"a [1,\n 2\n", ":1: array is not closed: missing ']'"},
      {"a [1 2]\n", ":1: in an array: expected ',' or ']', found '2'"},
      {"a [,1]\n", ":1: unexpected ',' in an array"},
      {"= 1\n", ":1: expected a key, found '='"},
      {"a: .5\n", ":1: a number must start with a digit"},
      {"a: -x\n", ":1: expected a digit after '-'"},
      {"a: (\nnever closed\n", ":1: block is not closed"},
      {"\n\nkey\n", ":3: 'key' has no value"},
      {"a: \"\\x4\"\n", ":1: expected two hexadecimal digits"},
  };
  for (auto [text, want] : cases) {
    std::string error = ErrorFor(text);
    EXPECT_EQ(error.rfind(Path() + want, 0), 0u) << "for:\n" << text << "\ngot: " << error << "\nwant: " << want;
  }
}

TEST(DetectFormatTest, ByExtensionThenBySyntax) {
  EXPECT_EQ(DetectFormat("/etc/nats/nats-server.conf", "port: 4222\n"), FileFormat::kNatsConf);
  EXPECT_EQ(DetectFormat("/etc/tern/tern.yaml", "port = 4222\n"), FileFormat::kYaml);
  EXPECT_EQ(DetectFormat("tern.yml", ""), FileFormat::kYaml);
  for (const char* nats : {"port = 4222\n", "# c\ntls {\n  cert_file: x\n}\n", "tls: {\n  cert_file: x\n}\n",
                           "// comment\nport: 4222\n", "include other.conf\n", "\"port\" = 1\n", "authorization {\n"}) {
    EXPECT_EQ(DetectFormat("server.cfg", nats), FileFormat::kNatsConf) << nats;
  }
  for (const char* yaml : {"port: 4222\nlog:\n  level: debug\n", "# only a comment\n", "",
                           "linger:\n  - subject: a.>\n    for: 3s\n", "log: {level: debug}\n"}) {
    EXPECT_EQ(DetectFormat("server.cfg", yaml), FileFormat::kYaml) << yaml;
  }
}

}  // namespace
}  // namespace tern::server::config
