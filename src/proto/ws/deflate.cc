#include "proto/ws/deflate.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace tern::proto::ws {
namespace {

constexpr char kTail[4] = {0x00, 0x00, static_cast<char>(0xff), static_cast<char>(0xff)};

}  // namespace

Inflater::Inflater(uint8_t window_bits) : window_bits_(window_bits) {}

Inflater::~Inflater() { Release(); }

bool Inflater::Init() {
  auto s = std::make_unique<z_stream_s>();
  std::memset(s.get(), 0, sizeof(z_stream_s));
  // A window of at least 9 bits also inflates a peer that promised 8 but
  // whose zlib silently used 9 (zlib before 1.2.9 did); a larger window
  // than the sender's is always safe.
  const int bits = std::clamp<int>(window_bits_, 9, 15);
  if (inflateInit2(s.get(), -bits) != Z_OK) return false;
  stream_ = std::move(s);
  out_ = std::make_unique<char[]>(kChunk);
  return true;
}

void Inflater::SetInput(const char* data, size_t size) {
  if (stream_ == nullptr && !Init()) {
    // Next() reports the failure.
    return;
  }
  stream_->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
  stream_->avail_in = static_cast<uInt>(size);
  in_tail_ = false;
}

void Inflater::EndMessage() {
  SetInput(kTail, sizeof(kTail));
  in_tail_ = true;
}

bool Inflater::Next(std::string_view* out) {
  *out = {};
  if (stream_ == nullptr || failed_) return false;
  if (ended_) {
    // A sender may end a message with a BFINAL block (section 7.2.3.4);
    // whatever follows it in the message is ignored (the RFC's own example
    // has a byte there).
    stream_->avail_in = 0;
    return in_tail_ ? Restart() : true;
  }
  if (stream_->avail_in == 0 && !pending_) return true;
  stream_->next_out = reinterpret_cast<Bytef*>(out_.get());
  stream_->avail_out = static_cast<uInt>(kChunk);
  const int rc = inflate(stream_.get(), Z_SYNC_FLUSH);
  const size_t produced = kChunk - stream_->avail_out;
  pending_ = stream_->avail_out == 0;
  bool ok = true;
  if (rc == Z_STREAM_END) {
    pending_ = false;
    ended_ = true;
    stream_->avail_in = 0;
    if (in_tail_) ok = Restart();
  } else if (rc == Z_BUF_ERROR) {
    // No progress was possible: the input is used up mid-block. Not an error
    // for a message that arrives in pieces.
    ok = stream_->avail_in == 0;
  } else if (rc != Z_OK) {
    ok = false;
  }
  if (!ok) {
    // The bytes inflated before the bad spot go up first, so the caller
    // meets errors in stream order whatever the input's split.
    failed_ = true;
    if (produced == 0) return false;
  }
  *out = std::string_view(out_.get(), produced);
  return true;
}

bool Inflater::Restart() {
  // zlib ends the stream at a BFINAL block, but under context takeover the
  // next message may still refer back into this one (section 7.2.2), so
  // the window moves into the new stream as its dictionary.
  auto window = std::make_unique<unsigned char[]>(size_t{1} << 15);
  uInt size = 1u << 15;
  ended_ = false;
  return inflateGetDictionary(stream_.get(), window.get(), &size) == Z_OK && inflateReset(stream_.get()) == Z_OK &&
         (size == 0 || inflateSetDictionary(stream_.get(), window.get(), size) == Z_OK);
}

void Inflater::Reset() {
  pending_ = false;
  ended_ = false;
  in_tail_ = false;
  failed_ = false;
  if (stream_ != nullptr) inflateReset(stream_.get());
}

void Inflater::Release() {
  if (stream_ != nullptr) inflateEnd(stream_.get());
  stream_.reset();
  out_.reset();
  pending_ = false;
  ended_ = false;
  in_tail_ = false;
  failed_ = false;
}

Deflater::Deflater(uint8_t window_bits, bool no_context_takeover, int level, int mem_level)
    : window_bits_(window_bits), no_context_takeover_(no_context_takeover), level_(level), mem_level_(mem_level) {}

Deflater::Deflater(const DeflateParams& agreed, Role role, int level, int mem_level)
    : Deflater(role == Role::kServer ? agreed.server_max_window_bits : agreed.client_max_window_bits,
               role == Role::kServer ? agreed.server_no_context_takeover : agreed.client_no_context_takeover, level,
               mem_level) {}

Deflater::~Deflater() { Release(); }

bool Deflater::Init() {
  auto s = std::make_unique<z_stream_s>();
  std::memset(s.get(), 0, sizeof(z_stream_s));
  const int bits = std::clamp<int>(window_bits_, 9, 15);  // zlib refuses 8 for raw deflate
  if (deflateInit2(s.get(), level_, Z_DEFLATED, -bits, mem_level_, Z_DEFAULT_STRATEGY) != Z_OK) return false;
  stream_ = std::move(s);
  return true;
}

bool Deflater::Compress(std::string_view message, std::string& out) {
  if (message.empty()) {
    // An empty stored block. zlib cannot make it: a sync flush with nothing
    // new to flush produces no bytes at all once the stream has begun.
    out += '\0';
    return true;
  }
  if (stream_ == nullptr && !Init()) return false;
  const size_t start = out.size();
  const char* next = message.data();
  size_t rest = message.size();
  size_t used = start;
  for (;;) {
    if (stream_->avail_in == 0 && rest != 0) {
      // zlib counts in 32 bits.
      const size_t n = std::min<size_t>(rest, size_t{1} << 30);
      stream_->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(next));
      stream_->avail_in = static_cast<uInt>(n);
      next += n;
      rest -= n;
    }
    // deflateBound covers a whole stream; the extra is the sync flush marker.
    const size_t room = std::max<size_t>(deflateBound(stream_.get(), stream_->avail_in) + 16, 64);
    out.resize(used + room);
    stream_->next_out = reinterpret_cast<Bytef*>(out.data() + used);
    stream_->avail_out = static_cast<uInt>(room);
    const int rc = deflate(stream_.get(), rest == 0 ? Z_SYNC_FLUSH : Z_NO_FLUSH);
    used += room - stream_->avail_out;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      out.resize(start);
      Release();  // the stream's state is unknown now
      return false;
    }
    if (rest == 0 && stream_->avail_in == 0 && stream_->avail_out != 0) break;
  }
  out.resize(used);
  if (used - start < 4 || std::memcmp(out.data() + used - 4, kTail, 4) != 0) {
    out.resize(start);
    Release();
    return false;
  }
  out.resize(used - 4);
  if (no_context_takeover_) deflateReset(stream_.get());
  return true;
}

void Deflater::Release() {
  if (stream_ != nullptr) deflateEnd(stream_.get());
  stream_.reset();
}

}  // namespace tern::proto::ws
