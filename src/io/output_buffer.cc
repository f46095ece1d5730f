#include "io/output_buffer.h"

#include <algorithm>

namespace tern::io {

void OutputBuffer::AppendShared(SharedBytes data, size_t offset, size_t length) {
  if (length == 0) return;
  spliced_ += length;
  splices_.push_back(Splice{bytes_.size(), std::move(data), offset, length});
}

int OutputBuffer::Gather(iovec* iov, int max) const {
  int n = 0;
  size_t pos = pos_;
  size_t sent_in_splice = splice_sent_;
  for (size_t i = next_splice_; i < splices_.size() && n < max; ++i) {
    const Splice& s = splices_[i];
    if (s.at > pos) {
      iov[n++] = {const_cast<char*>(bytes_.data() + pos), s.at - pos};
      pos = s.at;
      if (n == max) return n;
    }
    iov[n++] = {const_cast<char*>(s.data->data() + s.offset + sent_in_splice), s.length - sent_in_splice};
    sent_in_splice = 0;
  }
  if (n < max && pos < bytes_.size()) iov[n++] = {const_cast<char*>(bytes_.data() + pos), bytes_.size() - pos};
  return n;
}

void OutputBuffer::Consume(size_t n) {
  while (n > 0) {
    if (next_splice_ < splices_.size()) {
      Splice& s = splices_[next_splice_];
      if (pos_ < s.at) {
        size_t take = std::min(n, s.at - pos_);
        pos_ += take;
        n -= take;
        continue;
      }
      size_t take = std::min(n, s.length - splice_sent_);
      splice_sent_ += take;
      spliced_sent_ += take;
      n -= take;
      if (splice_sent_ == s.length) {
        s.data.reset();  // let the payload go as soon as this buffer is done with it
        ++next_splice_;
        splice_sent_ = 0;
      }
      continue;
    }
    pos_ += std::min(n, bytes_.size() - pos_);
    break;
  }
  if (empty()) Clear();
}

void OutputBuffer::Clear() {
  bytes_.clear();
  pos_ = 0;
  splices_.clear();
  next_splice_ = 0;
  splice_sent_ = 0;
  spliced_ = 0;
  spliced_sent_ = 0;
}

void OutputBuffer::ReleaseIfEmpty(size_t keep) {
  if (!empty()) return;
  Clear();
  if (bytes_.capacity() > keep) std::string().swap(bytes_);
  if (splices_.capacity() > 0 && keep == 0) std::vector<Splice>().swap(splices_);
}

void OutputBuffer::Swap(OutputBuffer& other) noexcept {
  bytes_.swap(other.bytes_);
  std::swap(pos_, other.pos_);
  splices_.swap(other.splices_);
  std::swap(next_splice_, other.next_splice_);
  std::swap(splice_sent_, other.splice_sent_);
  std::swap(spliced_, other.spliced_);
  std::swap(spliced_sent_, other.spliced_sent_);
}

}  // namespace tern::io
