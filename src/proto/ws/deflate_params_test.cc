#include "proto/ws/deflate_params.h"

#include <gtest/gtest.h>

#include <string>

namespace tern::proto::ws {
namespace {

struct Negotiated {
  bool accepted = false;
  std::string response;
  DeflateParams params;
};

Negotiated Negotiate(std::string_view offers, const DeflateParams& wanted = {}) {
  Negotiated n;
  const auto p = NegotiateDeflate(offers, wanted, &n.response);
  n.accepted = p.has_value();
  if (p) n.params = *p;
  return n;
}

TEST(DeflateParamsTest, ServerAcceptsPlainOffers) {
  Negotiated n = Negotiate("permessage-deflate");
  EXPECT_TRUE(n.accepted);
  EXPECT_EQ(n.response, "permessage-deflate");
  EXPECT_EQ(n.params, DeflateParams{});
  // What Chrome and Firefox send.
  n = Negotiate("permessage-deflate; client_max_window_bits");
  EXPECT_TRUE(n.accepted);
  EXPECT_EQ(n.response, "permessage-deflate");
  EXPECT_EQ(n.params, DeflateParams{});
  // Names ignore case; blanks around separators are fine.
  EXPECT_TRUE(Negotiate("Permessage-Deflate ;  client_max_window_bits ").accepted);
}

TEST(DeflateParamsTest, ServerHonoursOfferedParams) {
  Negotiated n = Negotiate("permessage-deflate; server_no_context_takeover; client_no_context_takeover");
  EXPECT_EQ(n.response, "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
  EXPECT_TRUE(n.params.server_no_context_takeover);
  EXPECT_TRUE(n.params.client_no_context_takeover);

  n = Negotiate("permessage-deflate; server_max_window_bits=10");
  EXPECT_EQ(n.response, "permessage-deflate; server_max_window_bits=10");
  EXPECT_EQ(n.params.server_max_window_bits, 10);

  n = Negotiate("permessage-deflate; client_max_window_bits=12");
  EXPECT_EQ(n.response, "permessage-deflate; client_max_window_bits=12");
  EXPECT_EQ(n.params.client_max_window_bits, 12);

  // Quoted values are tokens too (RFC 6455 9.1).
  n = Negotiate("permessage-deflate; server_max_window_bits=\"11\"");
  EXPECT_TRUE(n.accepted);
  EXPECT_EQ(n.params.server_max_window_bits, 11);
}

TEST(DeflateParamsTest, ServerAddsWhatItWants) {
  DeflateParams wanted;
  wanted.server_no_context_takeover = true;
  wanted.client_no_context_takeover = true;
  wanted.server_max_window_bits = 12;
  wanted.client_max_window_bits = 10;
  Negotiated n = Negotiate("permessage-deflate; client_max_window_bits", wanted);
  EXPECT_EQ(n.response,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; "
            "client_max_window_bits=10");
  EXPECT_EQ(n.params, wanted);
  // The client did not say it can limit its window: the server may not ask.
  n = Negotiate("permessage-deflate", wanted);
  EXPECT_EQ(n.params.client_max_window_bits, 15);
  EXPECT_EQ(n.response.find("client_max_window_bits"), std::string::npos);
  // The smaller of the two limits wins.
  n = Negotiate("permessage-deflate; server_max_window_bits=9; client_max_window_bits=13", wanted);
  EXPECT_EQ(n.params.server_max_window_bits, 9);
  EXPECT_EQ(n.params.client_max_window_bits, 10);
}

TEST(DeflateParamsTest, ServerDeclinesBadOffersAndTriesTheNext) {
  for (const char* bad : {
           "permessage-deflate; unknown_param",
           "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
           "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
           "permessage-deflate; server_no_context_takeover=1",
           "permessage-deflate; server_max_window_bits",
           "permessage-deflate; server_max_window_bits=16",
           "permessage-deflate; server_max_window_bits=7",
           "permessage-deflate; server_max_window_bits=010",
           "permessage-deflate; client_max_window_bits=abc",
           // zlib cannot compress with a 256-byte window.
           "permessage-deflate; server_max_window_bits=8",
       }) {
    EXPECT_FALSE(Negotiate(bad).accepted) << bad;
    const std::string two = std::string(bad) + ", permessage-deflate; client_no_context_takeover";
    const Negotiated n = Negotiate(two);
    EXPECT_TRUE(n.accepted) << two;
    EXPECT_EQ(n.response, "permessage-deflate; client_no_context_takeover") << two;
  }
  // Other extensions are passed over; a header that does not parse is no offer.
  EXPECT_EQ(Negotiate("x-webkit-deflate-frame, permessage-deflate").response, "permessage-deflate");
  EXPECT_FALSE(Negotiate("x-webkit-deflate-frame").accepted);
  EXPECT_FALSE(Negotiate("").accepted);
  EXPECT_FALSE(Negotiate("permessage-deflate; client_max_window_bits=\"10").accepted);
  EXPECT_FALSE(Negotiate("permessage-deflate; client_max_window_bits=\"1 0\", permessage-deflate").accepted);
  EXPECT_FALSE(Negotiate("permessage-deflate;;").accepted);
  EXPECT_FALSE(Negotiate("permessage-deflate client_max_window_bits").accepted);
}

TEST(DeflateParamsTest, ClientOffer) {
  EXPECT_EQ(DeflateOffer({}), "permessage-deflate; client_max_window_bits");
  DeflateParams wanted;
  wanted.server_no_context_takeover = true;
  wanted.client_no_context_takeover = true;
  wanted.server_max_window_bits = 10;
  wanted.client_max_window_bits = 11;
  EXPECT_EQ(DeflateOffer(wanted),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; "
            "client_max_window_bits=11");
}

TEST(DeflateParamsTest, ClientChecksResponse) {
  std::string_view error;
  auto p = AcceptDeflateResponse("permessage-deflate", {}, &error);
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, DeflateParams{});
  p = AcceptDeflateResponse(
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; "
      "client_max_window_bits=12",
      {}, &error);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->server_no_context_takeover);
  EXPECT_TRUE(p->client_no_context_takeover);
  EXPECT_EQ(p->server_max_window_bits, 10);
  EXPECT_EQ(p->client_max_window_bits, 12);

  DeflateParams wanted;
  wanted.server_max_window_bits = 10;
  wanted.client_max_window_bits = 11;
  for (const char* bad : {"x-webkit-deflate-frame", "permessage-deflate, permessage-deflate", "permessage-deflate; foo",
                          "permessage-deflate; client_max_window_bits", "permessage-deflate; server_max_window_bits=12",
                          "permessage-deflate; client_max_window_bits=12",
                          "permessage-deflate; client_max_window_bits=8", "permessage-deflate;"}) {
    EXPECT_FALSE(AcceptDeflateResponse(bad, wanted, &error)) << bad;
    EXPECT_FALSE(error.empty());
  }
}

// Whatever both sides want, the client's view of the result equals the server's.
TEST(DeflateParamsTest, BothSidesAgree) {
  for (int mask = 0; mask < 16; ++mask) {
    for (uint8_t cbits : {uint8_t{9}, uint8_t{12}, uint8_t{15}}) {
      for (uint8_t sbits : {uint8_t{9}, uint8_t{15}}) {
        DeflateParams client;
        client.server_no_context_takeover = mask & 1;
        client.client_no_context_takeover = mask & 2;
        client.client_max_window_bits = cbits;
        client.server_max_window_bits = sbits;
        DeflateParams server;
        server.server_no_context_takeover = mask & 4;
        server.client_no_context_takeover = mask & 8;
        server.client_max_window_bits = static_cast<uint8_t>(24 - cbits);
        server.server_max_window_bits = static_cast<uint8_t>(24 - sbits);
        std::string response;
        const auto on_server = NegotiateDeflate(DeflateOffer(client), server, &response);
        ASSERT_TRUE(on_server);
        std::string_view error;
        const auto on_client = AcceptDeflateResponse(response, client, &error);
        ASSERT_TRUE(on_client) << response << ": " << error;
        EXPECT_EQ(*on_client, *on_server) << response;
      }
    }
  }
}

}  // namespace
}  // namespace tern::proto::ws
