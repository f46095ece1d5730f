// List<T>: the repeated parts of a packet (user properties, subscription
// identifiers, SUBSCRIBE's filters, SUBACK's reason codes, ...) without an
// allocation on either path. A decoded packet's list is a view of the bytes
// it came in, already validated, and is decoded element by element as it is
// walked; a list to encode is a view of the caller's array. Either way it is
// 16 bytes and owns nothing: it lives as long as what it points into.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace tern::proto::mqtt {

struct StringPair {
  std::string_view name;
  std::string_view value;
  bool operator==(const StringPair&) const = default;
};

struct Subscription;
enum class ReasonCode : uint8_t;

// Reads the next element of a validated wire form and advances `wire` past
// it. User properties and subscription identifiers live in a property block
// among other properties, which these skip.
namespace list_internal {
void ReadNext(std::string_view* wire, StringPair* out);
void ReadNext(std::string_view* wire, uint32_t* out);
void ReadNext(std::string_view* wire, Subscription* out);
void ReadNext(std::string_view* wire, std::string_view* out);
void ReadNext(std::string_view* wire, ReasonCode* out);
}  // namespace list_internal

template <typename T>
class List {
 public:
  List() = default;
  List(std::span<const T> items)  // NOLINT: a caller's array is the natural way to fill one
      : data_(items.data()), count_(static_cast<uint32_t>(items.size())) {}
  List(const std::vector<T>& items) : List(std::span<const T>(items)) {}  // NOLINT: as above
  template <size_t N>
  List(const T (&items)[N]) : List(std::span<const T>(items)) {}  // NOLINT: as above

  // The decoder's form: `count` elements in `wire` (which it has validated).
  static List FromWire(std::string_view wire, uint32_t count) {
    List list;
    list.data_ = wire.data();
    list.count_ = count;
    list.wire_size_ = static_cast<uint32_t>(wire.size());
    return list;
  }

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }

  class Iterator {
   public:
    T operator*() const { return wire_ ? current_ : *item_; }
    Iterator& operator++() {
      if (--left_ == 0) return *this;
      if (wire_) {
        list_internal::ReadNext(&rest_, &current_);
      } else {
        ++item_;
      }
      return *this;
    }
    bool operator==(const Iterator& other) const { return left_ == other.left_; }

   private:
    friend class List;
    const T* item_ = nullptr;
    std::string_view rest_;
    T current_{};
    size_t left_ = 0;
    bool wire_ = false;
  };

  Iterator begin() const {
    Iterator it;
    it.left_ = count_;
    if (count_ == 0) return it;
    if (wire_size_ != 0) {
      it.wire_ = true;
      it.rest_ = std::string_view(static_cast<const char*>(data_), wire_size_);
      list_internal::ReadNext(&it.rest_, &it.current_);
    } else {
      it.item_ = static_cast<const T*>(data_);
    }
    return it;
  }
  Iterator end() const { return Iterator(); }

  // Element by element, whatever the forms.
  bool operator==(const List& other) const {
    if (count_ != other.count_) return false;
    for (auto a = begin(), b = other.begin(); a != end(); ++a, ++b) {
      if (!(*a == *b)) return false;
    }
    return true;
  }

  std::vector<T> ToVector() const {
    std::vector<T> out;
    out.reserve(count_);
    for (T item : *this) out.push_back(item);
    return out;
  }

 private:
  const void* data_ = nullptr;  // T[count_], or the wire bytes when wire_size_ != 0
  uint32_t count_ = 0;
  uint32_t wire_size_ = 0;
};

}  // namespace tern::proto::mqtt
