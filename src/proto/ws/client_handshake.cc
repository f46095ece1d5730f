#include "proto/ws/client_handshake.h"

#include <algorithm>

namespace tern::proto::ws {
namespace {

bool HasLineBreak(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) != s.npos; }

}  // namespace

base::Result<ClientHandshake> ClientHandshake::Create(ClientOptions options, const std::array<uint8_t, 16>& nonce) {
  if (options.host.empty() || HasLineBreak(options.host)) return base::Status("websocket: invalid host");
  if (options.path.empty() || options.path.front() != '/' || HasLineBreak(options.path) ||
      options.path.find(' ') != std::string::npos) {
    return base::Status("websocket: invalid path");
  }
  if (HasLineBreak(options.origin)) return base::Status("websocket: invalid origin");
  for (const std::string& p : options.subprotocols) {
    // RFC 6455 4.1: each must be a token, or the server could not parse the list.
    if (!IsToken(p)) return base::Status("websocket: invalid subprotocol '" + p + "'");
  }
  for (const auto& [name, value] : options.headers) {
    if (!IsToken(name) || HasLineBreak(value)) return base::Status("websocket: invalid header '" + name + "'");
  }
  return ClientHandshake(std::move(options), EncodeClientKey(nonce));
}

ClientHandshake::ClientHandshake(ClientOptions options, std::string key)
    : options_(std::move(options)), key_(std::move(key)), reader_(options_.max_response_size) {
  auto header = [this](std::string_view name, std::string_view value) {
    request_.append(name).append(": ").append(value).append("\r\n");
  };
  request_.append("GET ").append(options_.path).append(" HTTP/1.1\r\n");
  header("Host", options_.host);
  header("Upgrade", "websocket");
  header("Connection", "Upgrade");
  header("Sec-WebSocket-Key", key_);
  header("Sec-WebSocket-Version", "13");
  if (!options_.origin.empty()) header("Origin", options_.origin);
  if (!options_.subprotocols.empty()) {
    std::string list;
    for (const std::string& p : options_.subprotocols) list.append(list.empty() ? "" : ", ").append(p);
    header("Sec-WebSocket-Protocol", list);
  }
  if (options_.compression) header("Sec-WebSocket-Extensions", DeflateOffer(options_.deflate));
  for (const auto& [name, value] : options_.headers) header(name, value);
  request_ += "\r\n";
}

HandshakeResult ClientHandshake::Feed(std::string_view data) {
  if (finished_) return {error_.empty() ? HandshakeStatus::kDone : HandshakeStatus::kError, 0};
  size_t consumed = 0;
  switch (reader_.Feed(data, &consumed)) {
    case HeadReader::Status::kNeedMore:
      return {HandshakeStatus::kNeedMore, consumed};
    case HeadReader::Status::kTooLarge:
      return Fail("response head too large", consumed);
    case HeadReader::Status::kDone:
      break;
  }
  return Finish(consumed);
}

HandshakeResult ClientHandshake::Finish(size_t consumed) {
  ParsedHead head;
  if (!ParseHead(reader_.head(), &head)) return Fail("malformed response", consumed);
  // Status line: HTTP-version SP 3DIGIT SP [reason].
  const std::string_view line = head.start_line;
  if (line.size() < 12 || line.substr(0, 9) != "HTTP/1.1 " || (line.size() > 12 && line[12] != ' ')) {
    return Fail("malformed status line", consumed);
  }
  int code = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return Fail("malformed status line", consumed);
    code = code * 10 + (line[i] - '0');
  }
  status_code_ = code;
  if (code != 101) return Fail("server refused the upgrade", consumed);

  bool upgrade = false;
  bool connection = false;
  for (const HeaderField& f : head.fields) {
    if (EqualsIgnoreCase(f.name, "Upgrade") && ListHasToken(f.value, "websocket")) upgrade = true;
    if (EqualsIgnoreCase(f.name, "Connection") && ListHasToken(f.value, "upgrade")) connection = true;
  }
  if (!upgrade) return Fail("response lacks Upgrade: websocket", consumed);
  if (!connection) return Fail("response lacks Connection: upgrade", consumed);
  size_t accepts = 0;
  const std::string_view accept = head.Get("Sec-WebSocket-Accept", &accepts);
  if (accepts != 1 || accept != AcceptKey(key_)) return Fail("wrong Sec-WebSocket-Accept", consumed);

  size_t protocols = 0;
  const std::string_view protocol = head.Get("Sec-WebSocket-Protocol", &protocols);
  if (protocols > 1) return Fail("more than one subprotocol chosen", consumed);
  if (protocols == 1) {
    const auto& offered = options_.subprotocols;
    if (std::find(offered.begin(), offered.end(), protocol) == offered.end()) {
      return Fail("server chose a subprotocol that was not offered", consumed);
    }
    subprotocol_ = std::string(protocol);
  }

  const std::string extensions = head.Join("Sec-WebSocket-Extensions");
  if (!extensions.empty()) {
    if (!options_.compression) return Fail("server chose an extension that was not offered", consumed);
    std::string_view why;
    deflate_ = AcceptDeflateResponse(extensions, options_.deflate, &why);
    if (!deflate_) return Fail(why, consumed);
  }
  finished_ = true;
  return {HandshakeStatus::kDone, consumed};
}

HandshakeResult ClientHandshake::Fail(std::string_view error, size_t consumed) {
  finished_ = true;
  error_ = error;
  subprotocol_.clear();
  deflate_.reset();
  return {HandshakeStatus::kError, consumed};
}

}  // namespace tern::proto::ws
