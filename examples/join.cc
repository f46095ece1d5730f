// join: Join::All fires once every subject has delivered (here: a trip is
// ready once flight, hotel and car are booked); Join::Race fires on the first
// of them (here: whichever of two mirrors answers first).
#include "example_util.h"

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  std::string url = example::ServerUrl(argc, argv);
  auto planner = example::MustConnect(url, "planner");
  auto agencies = example::MustConnect(url, "agencies");

  auto trip = tern::Join::All(*planner, {"booked.flight", "booked.hotel", "booked.car"},
                              [](const std::vector<tern::Message>& msgs) {
                                std::printf("trip ready:");
                                for (const auto& m : msgs) std::printf(" [%s]", m.data.c_str());
                                std::printf("\n");
                              });
  example::Check(trip.status(), "join all");
  auto mirror = tern::Join::Race(*planner, {"mirror.eu", "mirror.us"}, [](const std::vector<tern::Message>& msgs) {
    std::printf("fastest mirror: %s\n", msgs[0].subject.c_str());
  });
  example::Check(mirror.status(), "join race");
  example::Check(planner->Flush(2s), "flush");

  example::Check(agencies->Publish("booked.hotel", "hotel: Grand"), "hotel");
  example::Check(agencies->Publish("booked.flight", "flight: LH123"), "flight");
  example::Check(agencies->Flush(2s), "flush");
  example::Check(trip->Wait(100ms).code() == tern::Code::kTimeout, "not ready without the car");
  example::Check(agencies->Publish("booked.car", "car: compact"), "car");
  example::Check(trip->Wait(2s), "trip fired");

  example::Check(agencies->Publish("mirror.us", "v1.2"), "us");
  example::Check(agencies->Publish("mirror.eu", "v1.2"), "eu");
  example::Check(mirror->Wait(2s), "race fired");
  std::printf("ok\n");
  return 0;
}
