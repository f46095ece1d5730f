#include "tern/pipeline.h"

#include <charconv>

#include "wire.h"

namespace tern {
namespace {

std::string JoinStages(const std::vector<std::string>& stages) {
  std::string out;
  for (size_t i = 0; i < stages.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(stages[i]);
  }
  return out;
}

std::vector<std::string> SplitStages(std::string_view list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    out.emplace_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

Status CheckStages(const std::vector<std::string>& stages) {
  if (stages.empty()) return Status(Code::kInvalidArgument, "a pipeline needs at least one stage");
  for (const std::string& s : stages) {
    if (!internal::ValidSubject(s, false) || s.find(',') != std::string::npos) {
      return Status(Code::kInvalidArgument, "invalid pipeline stage subject '" + s + "'");
    }
  }
  return Status::Ok();
}

Message StageMessage(const std::vector<std::string>& stages, size_t index, std::string_view data, std::string reply,
                     const Headers* carry) {
  Message m(stages[index], std::move(reply), std::string(data));
  if (carry != nullptr) m.headers = *carry;
  m.headers.Set(std::string(kPipelineHeader), JoinStages(stages));
  m.headers.Set(std::string(kPipelineStageHeader), std::to_string(index));
  return m;
}

}  // namespace

Status PipelineStage::Next(std::string_view data) {
  if (is_last()) {
    return Status(Code::kPipelineEnd, "Next() at the last stage (" + stages_.back() + ", " +
                                          std::to_string(index_ + 1) + " of " + std::to_string(stages_.size()) +
                                          "); use Reply() or just return");
  }
  // Application headers travel on with the message.
  return conn_.Publish(StageMessage(stages_, index_ + 1, data, msg_.reply, &msg_.headers));
}

Status PipelineStage::Reply(std::string_view data) {
  if (msg_.reply.empty()) return Status(Code::kInvalidArgument, "pipeline was started without a reply subject");
  return conn_.Publish(msg_.reply, data);
}

Status StartPipeline(Connection& conn, const std::vector<std::string>& stages, std::string_view data) {
  Status s = CheckStages(stages);
  if (!s.ok()) return s;
  return conn.Publish(StageMessage(stages, 0, data, "", nullptr));
}

Result<Message> RequestPipeline(Connection& conn, const std::vector<std::string>& stages, std::string_view data,
                                std::chrono::milliseconds timeout) {
  Status s = CheckStages(stages);
  if (!s.ok()) return s;
  return conn.Request(StageMessage(stages, 0, data, "", nullptr), timeout);
}

Result<Subscription> ServeStage(Connection& conn, std::string_view subject, std::string_view group,
                                StageHandler handler) {
  if (!handler) return Status(Code::kInvalidArgument, "ServeStage without a handler");
  Handler wrapped = [&conn, handler = std::move(handler)](const Message& msg) {
    auto list = msg.headers.Get(kPipelineHeader);
    auto stage = msg.headers.Get(kPipelineStageHeader);
    if (!list || !stage) return;
    std::vector<std::string> stages = SplitStages(*list);
    size_t index = 0;
    auto [ptr, ec] = std::from_chars(stage->data(), stage->data() + stage->size(), index);
    if (ec != std::errc() || index >= stages.size()) return;
    PipelineStage ctx(conn, msg, std::move(stages), index);
    handler(ctx);
  };
  if (group.empty()) return conn.Subscribe(subject, std::move(wrapped));
  return conn.QueueSubscribe(subject, group, std::move(wrapped));
}

}  // namespace tern
