// A reader for nats-server's configuration syntax (the grammar of its
// conf/lex.go and conf/parse.go), so that `tern-server -c nats.conf` starts
// from a file written for nats-server:
//
//   key = value   key: value   key value   blocks {}   arrays [] (nested)
//   'raw' and "escaped" strings, bare strings, ( multi-line blocks )
//   numbers, size suffixes (1K = 1000, 1KB = 1Ki = 1024, up to E/EB),
//   true/false/yes/no/on/off, # and // comments, ; and , as separators,
//   include 'file' (relative to the including file), $VAR (a key defined
//   earlier in an enclosing block, else the environment).
//
// Values keep their nats type (a bare 120 is an integer, "2s" a string)
// because nats-server reads a bare number as seconds for durations; the
// mapping onto tern's options (nats_map.cc) decides what each one means.
// A syntax error stops the file and names file:line, as nats-server does.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "server/config/tree.h"

namespace tern::server::config {

bool ParseNatsConf(const std::string& path, const std::string& text, const std::map<std::string, std::string>& env,
                   Node* root, std::vector<std::string>* errors);

}  // namespace tern::server::config
