// The outgoing byte buffer of a connection.
//
// A std::string would do, except that it cannot grow without writing the
// new bytes twice (resize() zero-fills through an out-of-line call), and a
// publish is small enough for that to show. Grow() hands out the new bytes
// to be written once, inline.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>

namespace tern::internal {

class OutBuffer {
 public:
  OutBuffer() = default;
  ~OutBuffer() { std::free(data_); }
  OutBuffer(const OutBuffer&) = delete;
  OutBuffer& operator=(const OutBuffer&) = delete;

  // n more bytes at the end, uninitialised, for the caller to fill.
  char* Grow(size_t n) {
    if (capacity_ - size_ < n) Reserve(size_ + n);
    char* p = data_ + size_;
    size_ += n;
    return p;
  }
  OutBuffer& append(std::string_view s) {
    if (!s.empty()) std::memcpy(Grow(s.size()), s.data(), s.size());
    return *this;
  }
  OutBuffer& append(const char* s, size_t n) { return append(std::string_view(s, n)); }
  void push_back(char c) { *Grow(1) = c; }
  // Puts s before everything buffered (resubscriptions go before what was
  // published while disconnected).
  void Prepend(std::string_view s) {
    if (s.empty()) return;
    size_t old = size_;
    Grow(s.size());
    std::memmove(data_ + s.size(), data_, old);
    std::memcpy(data_, s.data(), s.size());
  }

  void Reserve(size_t n) {
    if (n <= capacity_) return;
    size_t cap = capacity_ < 4096 ? 4096 : capacity_ * 2;
    while (cap < n) cap *= 2;
    char* p = static_cast<char*>(std::realloc(data_, cap));
    if (p == nullptr) throw std::bad_alloc();
    data_ = p;
    capacity_ = cap;
  }
  // Empties the buffer; one that grew past keep bytes gives its memory back.
  void Clear(size_t keep) {
    size_ = 0;
    if (capacity_ > keep) {
      std::free(data_);
      data_ = nullptr;
      capacity_ = 0;
    }
  }
  void clear() { size_ = 0; }
  // Takes back the last n bytes (a Grow() whose contents turned out unwanted).
  void Unwrite(size_t n) { size_ -= n; }
  void swap(OutBuffer& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
  }

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  const char* data() const { return data_; }
  std::string_view view() const { return {data_, size_}; }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace tern::internal
