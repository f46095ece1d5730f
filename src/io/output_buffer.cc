#include "io/output_buffer.h"

#include <algorithm>

namespace tern::io {

void OutputBuffer::AppendShared(SharedBytes data, size_t offset, size_t length) {
  if (length == 0) return;
  if (!splices_) splices_ = std::make_unique<Splices>();
  splices_->total += length;
  splices_->items.push_back(Splice{bytes_.size(), std::move(data), offset, length});
}

int OutputBuffer::Gather(iovec* iov, int max) const {
  int n = 0;
  size_t pos = pos_;
  if (splices_) {
    size_t sent_in_splice = splices_->sent;
    for (size_t i = splices_->next; i < splices_->items.size() && n < max; ++i) {
      const Splice& s = splices_->items[i];
      if (s.at > pos) {
        iov[n++] = {const_cast<char*>(bytes_.data() + pos), s.at - pos};
        pos = s.at;
        if (n == max) return n;
      }
      iov[n++] = {const_cast<char*>(s.data->data() + s.offset + sent_in_splice), s.length - sent_in_splice};
      sent_in_splice = 0;
    }
  }
  if (n < max && pos < bytes_.size()) iov[n++] = {const_cast<char*>(bytes_.data() + pos), bytes_.size() - pos};
  return n;
}

void OutputBuffer::Consume(size_t n) {
  while (n > 0 && splices_ && splices_->next < splices_->items.size()) {
    Splice& s = splices_->items[splices_->next];
    if (pos_ < s.at) {
      size_t take = std::min(n, s.at - pos_);
      pos_ += take;
      n -= take;
      continue;
    }
    size_t take = std::min(n, s.length - splices_->sent);
    splices_->sent += take;
    splices_->total_sent += take;
    n -= take;
    if (splices_->sent == s.length) {
      s.data.reset();  // let the payload go as soon as this buffer is done with it
      ++splices_->next;
      splices_->sent = 0;
    }
  }
  pos_ += std::min(n, bytes_.size() - pos_);
  if (empty()) Clear();
}

void OutputBuffer::Clear() {
  bytes_.clear();
  pos_ = 0;
  if (splices_) *splices_ = Splices{};
}

void OutputBuffer::ReleaseIfEmpty(size_t keep) {
  if (!empty()) return;
  Clear();
  if (bytes_.capacity() > keep) std::string().swap(bytes_);
  if (keep == 0) splices_.reset();
}

void OutputBuffer::Swap(OutputBuffer& other) noexcept {
  bytes_.swap(other.bytes_);
  std::swap(pos_, other.pos_);
  splices_.swap(other.splices_);
}

}  // namespace tern::io
