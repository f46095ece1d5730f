// What the client writes: PUB, HPUB, SUB, UNSUB, CONNECT; and reading INFO.
// Appenders write straight into the outgoing buffer so a publish costs one
// append under the connection lock and no temporary strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tern/options.h"
#include "url.h"

namespace tern::internal {

// Wire size of a PUB/HPUB for the reconnect-buffer bound and stats.
size_t PubWireSize(std::string_view subject, std::string_view reply, size_t headers, size_t data);
void AppendPub(std::string& out, std::string_view subject, std::string_view reply, std::string_view data);
// headers is the encoded block (Headers::Encode()).
void AppendHpub(std::string& out, std::string_view subject, std::string_view reply, std::string_view headers,
                std::string_view data);
void AppendSub(std::string& out, std::string_view subject, std::string_view queue, uint64_t sid);
// max == 0: unsubscribe now; otherwise after max messages in total.
void AppendUnsub(std::string& out, uint64_t sid, uint64_t max);
// CONNECT {...}\r\n with headers and no_responders on; credentials from the
// URL win over those in options.
void AppendConnect(std::string& out, const Options& options, const ServerUrl& url);

bool ParseInfo(std::string_view json, ServerInfo* out);

// Subjects: non-empty, no whitespace, no empty tokens; wildcards only when allowed.
bool ValidSubject(std::string_view subject, bool allow_wildcards);
bool ValidQueue(std::string_view queue);

// 22 random base-62 characters, like the NATS NUID.
std::string NewNuid();

}  // namespace tern::internal
