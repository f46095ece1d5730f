// A connection's pending output: small protocol bytes appended contiguously
// (one memcpy per message, exactly as a std::string), plus large payloads
// spliced in by reference, so a 1 MiB message fanned out to 100 subscribers
// is copied once, not 100 times. Written with writev() straight from both.
//
// Not thread-safe: the connection guards it (see server/connection.h).
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tern::io {

// Immutable bytes shared by every buffer that splices them.
using SharedBytes = std::shared_ptr<const std::string>;

class OutputBuffer {
 public:
  // Unsent bytes, spliced ones included.
  size_t size() const { return bytes_.size() - pos_ + (splices_ ? splices_->unsent() : 0); }
  bool empty() const { return size() == 0; }

  // Encoders append to this directly (AppendMsg(out.bytes(), ...)).
  std::string& bytes() { return bytes_; }
  void Append(std::string_view data) { bytes_.append(data); }
  // Splices data[offset, offset+length) in after everything appended so far.
  void AppendShared(SharedBytes data, size_t offset, size_t length);

  // Fills up to `max` iovecs with the unsent bytes, in order; returns how many.
  int Gather(iovec* iov, int max) const;
  // `n` bytes were written from the front.
  void Consume(size_t n);
  // Visits the unsent bytes as contiguous pieces, in order (for transports
  // that re-encode output: TLS, WebSocket).
  template <typename F>
  void ForEachPiece(F&& f) const;

  void Clear();
  // Drops capacity beyond `keep` (after a burst) once the buffer is empty.
  void ReleaseIfEmpty(size_t keep);
  size_t capacity() const { return bytes_.capacity(); }
  void Swap(OutputBuffer& other) noexcept;

 private:
  struct Splice {
    size_t at;  // position in bytes_ the slice goes before
    SharedBytes data;
    size_t offset, length;
  };
  // Only buffers that ever carried a large payload pay for this: an idle
  // connection's two buffers are a string and a null pointer each.
  struct Splices {
    std::vector<Splice> items;
    size_t next = 0;    // first splice not fully sent
    size_t sent = 0;    // bytes of items[next] sent
    size_t total = 0;   // bytes of all splices
    size_t total_sent = 0;
    size_t unsent() const { return total - total_sent; }
  };

  std::string bytes_;
  size_t pos_ = 0;  // bytes_ sent so far
  std::unique_ptr<Splices> splices_;
};

template <typename F>
void OutputBuffer::ForEachPiece(F&& f) const {
  size_t pos = pos_;
  if (splices_) {
    size_t sent_in_splice = splices_->sent;
    for (size_t i = splices_->next; i < splices_->items.size(); ++i) {
      const Splice& s = splices_->items[i];
      if (s.at > pos) f(std::string_view(bytes_).substr(pos, s.at - pos));
      pos = std::max(pos, s.at);
      f(std::string_view(*s.data).substr(s.offset + sent_in_splice, s.length - sent_in_splice));
      sent_in_splice = 0;
    }
  }
  if (pos < bytes_.size()) f(std::string_view(bytes_).substr(pos));
}

}  // namespace tern::io
