// tern::Connection: thin forwarding to ConnImpl.
#include "tern/connection.h"

#include "conn_impl.h"

namespace tern {

Result<std::unique_ptr<Connection>> Connection::Connect(Options options) {
  auto impl = std::make_shared<internal::ConnImpl>(std::move(options));
  Status s = impl->Start();
  if (!s.ok()) return s;
  return std::unique_ptr<Connection>(new Connection(std::move(impl)));
}

Result<std::unique_ptr<Connection>> Connection::Connect(std::string url) {
  Options options;
  options.servers = {std::move(url)};
  return Connect(std::move(options));
}

Connection::Connection(std::shared_ptr<internal::ConnImpl> impl) : impl_(std::move(impl)) {}

Connection::~Connection() { (void)impl_->Close(); }

Status Connection::Publish(std::string_view subject, std::string_view data) {
  return impl_->Publish(subject, {}, {}, data);
}

Status Connection::Publish(std::string_view subject, std::string_view reply, std::string_view data) {
  return impl_->Publish(subject, reply, {}, data);
}

Status Connection::Publish(const Message& msg) {
  return impl_->Publish(msg.subject, msg.reply, msg.headers.Encode(), msg.data);
}

Status Connection::PublishBatch(std::span<const Message> msgs) { return impl_->PublishBatch(msgs); }

Result<Subscription> Connection::Subscribe(std::string_view subject, Handler handler) {
  return QueueSubscribe(subject, {}, std::move(handler));
}

Result<Subscription> Connection::QueueSubscribe(std::string_view subject, std::string_view queue, Handler handler) {
  internal::ConnImpl::SubSpec spec{subject, queue, std::move(handler), false, 0};
  auto subs = impl_->Subscribe(std::span(&spec, 1));
  if (!subs.ok()) return subs.status();
  return Subscription(subs->front());
}

Result<Subscription> Connection::SubscribeChannel(std::string_view subject, size_t capacity, std::string_view queue) {
  internal::ConnImpl::SubSpec spec{subject, queue, nullptr, true, capacity};
  auto subs = impl_->Subscribe(std::span(&spec, 1));
  if (!subs.ok()) return subs.status();
  return Subscription(subs->front());
}

Result<std::vector<Subscription>> Connection::SubscribeBatch(std::span<const SubscribeSpec> specs) {
  std::vector<internal::ConnImpl::SubSpec> inner;
  inner.reserve(specs.size());
  for (const SubscribeSpec& s : specs) inner.push_back({s.subject, s.queue, s.handler, false, 0});
  auto subs = impl_->Subscribe(inner);
  if (!subs.ok()) return subs.status();
  std::vector<Subscription> out;
  for (auto& state : subs.value()) out.emplace_back(std::move(state));
  return out;
}

Result<Message> Connection::Request(std::string_view subject, std::string_view data,
                                    std::chrono::milliseconds timeout) {
  return impl_->Request(subject, {}, data, timeout);
}

Result<Message> Connection::Request(const Message& msg, std::chrono::milliseconds timeout) {
  return impl_->Request(msg.subject, msg.headers.Encode(), msg.data, timeout);
}

Status Connection::Flush(std::chrono::milliseconds timeout, bool cluster) {
  if (cluster && !impl_->options().interest_barrier) {
    return Status(Code::kInvalidArgument, "Flush(cluster=true) needs Options::interest_barrier");
  }
  return impl_->Flush(timeout);
}
Status Connection::Drain(std::chrono::milliseconds timeout) { return impl_->Drain(timeout); }
Status Connection::Close() { return impl_->Close(); }
ConnState Connection::state() const { return impl_->state(); }
std::string Connection::NewInbox() const { return impl_->NewInbox(); }
const std::string& Connection::id() const { return impl_->id(); }
ServerInfo Connection::server_info() const { return impl_->server_info(); }
std::string Connection::connected_url() const { return impl_->connected_url(); }
TransportInfo Connection::transport_info() const { return impl_->transport_info(); }
ConnectionStats Connection::stats() const { return impl_->stats(); }
const Options& Connection::options() const { return impl_->options(); }

}  // namespace tern
