#include "proto/mqtt/list.h"

#include "proto/mqtt/packets.h"
#include "proto/mqtt/properties.h"
#include "proto/mqtt/reader.h"

namespace tern::proto::mqtt::list_internal {
namespace {

// The wire forms were validated when the packet was decoded, so these reads
// cannot fail; the fault they would record is never looked at.
struct WireReader {
  explicit WireReader(std::string_view* wire) : wire_(wire), r(*wire, &fault) {}
  ~WireReader() { *wire_ = wire_->substr(wire_->size() - r.left()); }
  std::string_view* wire_;
  Fault fault;
  Reader r;
};

// Skips properties up to the next one with `id` and leaves the reader on its
// value. (The end of the block cannot come first: the list was counted.)
void SeekProperty(Reader& r, PropertyId id) {
  while (!r.empty()) {
    uint32_t raw = 0;
    if (!r.VarInt(&raw) || raw == static_cast<uint32_t>(id)) return;
    const PropertyInfo* info = FindProperty(raw);
    if (info == nullptr) return;
    std::string_view skip;
    uint32_t n = 0;
    switch (info->type) {
      case PropertyType::kVariableByteInteger:
        r.VarInt(&n);
        break;
      case PropertyType::kUtf8StringPair:
        r.Binary(&skip);
        r.Binary(&skip);
        break;
      case PropertyType::kUtf8String:
      case PropertyType::kBinaryData:
        r.Binary(&skip);
        break;
      default:
        r.Bytes(FixedValueSize(info->type), &skip);
        break;
    }
  }
}

}  // namespace

void ReadNext(std::string_view* wire, StringPair* out) {
  WireReader w(wire);
  SeekProperty(w.r, PropertyId::kUserProperty);
  w.r.Binary(&out->name);
  w.r.Binary(&out->value);
}

void ReadNext(std::string_view* wire, uint32_t* out) {
  WireReader w(wire);
  SeekProperty(w.r, PropertyId::kSubscriptionIdentifier);
  w.r.VarInt(out);
}

void ReadNext(std::string_view* wire, Subscription* out) {
  WireReader w(wire);
  uint8_t options = 0;
  w.r.Binary(&out->filter);
  w.r.U8(&options);
  out->qos = static_cast<Qos>(options & kSubscribeQosMask);
  out->no_local = (options & kSubscribeNoLocalFlag) != 0;
  out->retain_as_published = (options & kSubscribeRetainAsPublishedFlag) != 0;
  out->retain_handling =
      static_cast<RetainHandling>((options & kSubscribeRetainHandlingMask) >> kSubscribeRetainHandlingShift);
}

void ReadNext(std::string_view* wire, std::string_view* out) {
  WireReader w(wire);
  w.r.Binary(out);
}

void ReadNext(std::string_view* wire, ReasonCode* out) {
  *out = static_cast<ReasonCode>(static_cast<uint8_t>((*wire)[0]));
  wire->remove_prefix(1);
}

}  // namespace tern::proto::mqtt::list_internal
