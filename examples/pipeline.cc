// pipeline: an order goes validate -> price -> ship. Each stage is a queue
// group that transforms the data and calls Next(); the last stage replies to
// whoever started it. Next() at the last stage is an error (kPipelineEnd).
#include "example_util.h"

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  std::string url = example::ServerUrl(argc, argv);
  auto shop = example::MustConnect(url, "shop");
  auto workers = example::MustConnect(url, "workers");

  example::Check(tern::ServeStage(*workers, "order.validate", "validators",
                                  [](tern::PipelineStage& s) {
                                    std::printf("stage %zu/%zu validate: %s\n", s.index() + 1, s.stages().size(),
                                                s.data().c_str());
                                    (void)s.Next(s.data() + " valid");
                                  })
                     .status(),
                 "validate stage");
  example::Check(tern::ServeStage(*workers, "order.price", "pricers",
                                  [](tern::PipelineStage& s) {
                                    std::printf("stage %zu/%zu price: %s\n", s.index() + 1, s.stages().size(),
                                                s.data().c_str());
                                    (void)s.Next(s.data() + " $42");
                                  })
                     .status(),
                 "price stage");
  tern::Status at_end;
  example::Check(tern::ServeStage(*workers, "order.ship", "shippers",
                                  [&](tern::PipelineStage& s) {
                                    std::printf("stage %zu/%zu ship: %s\n", s.index() + 1, s.stages().size(),
                                                s.data().c_str());
                                    at_end = s.Next("nowhere to go");
                                    (void)s.Reply(s.data() + " shipped");
                                  })
                     .status(),
                 "ship stage");
  example::Check(workers->Flush(2s), "flush");

  auto r = tern::RequestPipeline(*shop, {"order.validate", "order.price", "order.ship"}, "order#1", 2s);
  example::Check(r.status(), "pipeline");
  std::printf("result: %s\n", r->data.c_str());
  example::Check(r->data == "order#1 valid $42 shipped", "all stages ran in order");
  std::printf("next() at the last stage: %s\n", at_end.ToString().c_str());
  example::Check(at_end.code() == tern::Code::kPipelineEnd, "next at last stage is kPipelineEnd");
  std::printf("ok\n");
  return 0;
}
