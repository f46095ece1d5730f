// Pipeline: a message carries its ordered list of stage subjects in a header
// and visits them one after another. Each stage is a subscription (usually a
// queue group, so a stage scales out) whose handler transforms the data and
// calls Next() to pass it on. The last stage may Reply() to whoever started
// the pipeline with RequestPipeline().
//
// Wire form (plain NATS headers, so other clients can join in):
//   Tern-Pipeline: a,b,c        the stage subjects, in order
//   Tern-Pipeline-Stage: 1      index of the stage the message is addressed to
// The reply subject of the first publish travels along unchanged, and so do
// the application's own headers.
//
// Thread-safety: the free functions may be called from any thread; a
// PipelineStage belongs to the handler call it was given to.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tern/connection.h"

namespace tern {

inline constexpr std::string_view kPipelineHeader = "Tern-Pipeline";
inline constexpr std::string_view kPipelineStageHeader = "Tern-Pipeline-Stage";

// What a stage handler gets. Valid only during the handler call.
class PipelineStage {
 public:
  PipelineStage(Connection& conn, const Message& msg, std::vector<std::string> stages, size_t index)
      : conn_(conn), msg_(msg), stages_(std::move(stages)), index_(index) {}

  const Message& message() const { return msg_; }
  const std::string& data() const { return msg_.data; }
  size_t index() const { return index_; }
  const std::vector<std::string>& stages() const { return stages_; }
  bool is_last() const { return index_ + 1 >= stages_.size(); }

  // Publishes data to the next stage. kPipelineEnd when this is the last one.
  Status Next(std::string_view data);
  // Answers the pipeline's starter (RequestPipeline). kInvalidArgument when
  // it was started without a reply subject.
  Status Reply(std::string_view data);

 private:
  Connection& conn_;
  const Message& msg_;
  std::vector<std::string> stages_;
  size_t index_;
};

using StageHandler = std::function<void(PipelineStage&)>;

// Sends data to stages[0]. Stage subjects must be valid, wildcard-free and
// contain no commas.
Status StartPipeline(Connection& conn, const std::vector<std::string>& stages, std::string_view data);
// As StartPipeline, then waits for the last stage's Reply().
Result<Message> RequestPipeline(Connection& conn, const std::vector<std::string>& stages, std::string_view data,
                                std::chrono::milliseconds timeout);
// Serves one stage subject (in a queue group when group is non-empty).
// Messages without valid pipeline headers are ignored.
Result<Subscription> ServeStage(Connection& conn, std::string_view subject, std::string_view group,
                                StageHandler handler);

}  // namespace tern
