#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "app/admission.hpp"
#include "app/config.hpp"

namespace ccgate::app {
namespace {

using testing::HasSubstr;

Config config_with(Environment env) {
  return load_config(env);
}

// A request from this machine to the proxy door, as the Anthropic SDK sends it.
RequestHead sdk_request(std::string_view path = "/v1/messages") {
  return {.method = "POST",
          .path = path,
          .host = "127.0.0.1:8082",
          .origin = "",
          .content_type = "application/json",
          .x_api_key = "",
          .authorization = "",
          .anthropic_client = true,
          .loopback_peer = true};
}

int status_of(const Admitted& admitted) {
  return admitted.refusal ? static_cast<int>(admitted.refusal->status) : 0;
}

boost::json::object body_of(const Admitted& admitted) {
  return boost::json::parse(admitted.refusal->body).as_object();
}

std::string message_of(const Admitted& admitted) {
  return std::string(body_of(admitted).at("error").at("message").as_string());
}

TEST(Admission, DoorsByPath) {
  EXPECT_EQ(door_of("/v1/messages"), Door::proxy);
  EXPECT_EQ(door_of("/v1/messages/count_tokens"), Door::proxy);
  EXPECT_EQ(door_of("/v1/chat/completions"), Door::gateway);
  EXPECT_EQ(door_of("/v1/models"), Door::models);
  EXPECT_EQ(door_of("/v1/models/claude-x"), Door::models);
  EXPECT_EQ(door_of("/mcp/gateway/abc"), Door::mcp);
  EXPECT_EQ(door_of("/health"), Door::own);
  EXPECT_EQ(door_of("/metrics"), Door::monitoring);
  EXPECT_EQ(door_of("/status"), Door::monitoring);
  EXPECT_EQ(door_of("/status.json"), Door::monitoring);
  EXPECT_EQ(door_of("/status/"), Door::own);
  EXPECT_EQ(door_of("/v1/messagesX"), Door::own);
}

TEST(Admission, JsonContentTypes) {
  for (const char* type :
       {"application/json", "Application/JSON; charset=utf-8", " application/json ;charset=UTF-8",
        "application/vnd.api+json", "application/merge-patch+JSON"})
    EXPECT_TRUE(json_content_type(type)) << type;
  for (const char* type :
       {"", "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x", "application/jsonx", "json", "+json"})
    EXPECT_FALSE(json_content_type(type)) << type;
}

TEST(Admission, LoopbackHostHeaders) {
  for (const char* host : {"localhost", "LOCALHOST:8082", "localhost.:1", "app.localhost:3000",
                           "127.0.0.1", "127.1.2.3:8082", "[::1]:8082", "[::1]"})
    EXPECT_TRUE(loopback_host_header(host)) << host;
  for (const char* host :
       {"evil.example", "evil.example:8082", "localhost.evil.example", "127.0.0.1.evil.example",
        "10.0.0.1:8082", "[::2]:1", "0.0.0.0", "mylocalhost"})
    EXPECT_FALSE(loopback_host_header(host)) << host;
}

TEST(Admission, OnLoopbackTheHostMustBeALoopbackNameOrListed) {
  const Admission open(config_with({}));
  auto head = sdk_request();
  EXPECT_EQ(status_of(open.decide(head)), 0);
  head.host = "localhost:8082";
  EXPECT_EQ(status_of(open.decide(head)), 0);
  head.host = "rebound.evil.example:8082";  // DNS rebinding: the page's own name
  const auto refused = open.decide(head);
  EXPECT_EQ(status_of(refused), 403);
  EXPECT_EQ(body_of(refused).at("error").at("type"), "permission_error");
  EXPECT_THAT(message_of(refused), HasSubstr("ALLOWED_HOSTS"));
  head.path = "/health";  // every path, the door's own too
  EXPECT_EQ(status_of(open.decide(head)), 403);

  const Admission listed(config_with({{"ALLOWED_HOSTS", "Box.Lan, other"}}));
  head.host = "box.lan:8082";
  EXPECT_EQ(status_of(listed.decide(head)), 0);
  head.host = "box.lan.evil:8082";
  EXPECT_EQ(status_of(listed.decide(head)), 403);
}

TEST(Admission, OnAnotherAddressTheHostRuleGuardsOnlyWhatNeedsNoKey) {
  const Admission keyless(config_with({{"HOST", "0.0.0.0"}}));
  auto head = sdk_request();
  head.host = "rebound.evil.example:8082";
  EXPECT_EQ(status_of(keyless.decide(head)), 403);
  head.path = "/health";
  EXPECT_EQ(status_of(keyless.decide(head)), 0);

  const Admission keyed(config_with({{"HOST", "0.0.0.0"}, {"ANTHROPIC_API_KEY", "k"}}));
  head = sdk_request();
  head.host = "gate.example.com";
  head.x_api_key = "k";
  EXPECT_EQ(status_of(keyed.decide(head)), 0);
}

TEST(Admission, AnOriginOutsideCorsOriginsIsRefusedBeforeAnythingRuns) {
  const Admission closed(config_with({}));
  auto head = sdk_request();
  head.origin = "http://evil.example";
  const auto refused = closed.decide(head);
  EXPECT_EQ(status_of(refused), 403);
  EXPECT_THAT(message_of(refused), HasSubstr("CORS_ORIGINS"));
  head.method = "OPTIONS";
  EXPECT_EQ(status_of(closed.decide(head)), 403);

  head = sdk_request("/v1/chat/completions");
  head.origin = "http://evil.example";
  EXPECT_TRUE(body_of(closed.decide(head)).at("error").as_object().contains("code"));  // OpenAI

  // A page served by ccgate itself is same-origin: allowed, with no CORS headers needed.
  head = sdk_request();
  head.origin = "http://127.0.0.1:8082";
  const auto same = closed.decide(head);
  EXPECT_EQ(status_of(same), 0);
  EXPECT_FALSE(same.cross_origin);
}

TEST(Admission, CorsOriginsAllowsListedOriginsOrEvery) {
  const Admission listed(config_with({{"CORS_ORIGINS", "http://app.example:3000/"}}));
  auto head = sdk_request();
  head.origin = "http://APP.example:3000";
  const auto allowed = listed.decide(head);
  EXPECT_EQ(status_of(allowed), 0);
  EXPECT_TRUE(allowed.cross_origin);
  head.origin = "http://app.example:3001";
  EXPECT_EQ(status_of(listed.decide(head)), 403);

  const Admission every(config_with({{"CORS_ORIGINS", "*"}}));
  head.origin = "https://anything.example";
  EXPECT_TRUE(every.decide(head).cross_origin);
}

TEST(Admission, APreflightFromAnAllowedOriginNeedsNoKey) {
  const Admission keyed(config_with({{"ANTHROPIC_API_KEY", "k"}, {"CORS_ORIGINS", "http://a.b"}}));
  auto head = sdk_request();
  head.method = "OPTIONS";
  head.origin = "http://a.b";
  head.content_type = "";
  EXPECT_EQ(status_of(keyed.decide(head)), 0);
}

TEST(Admission, TheProxyKeyComesInXApiKeyOrBearer) {
  const Admission keyed(config_with({{"ANTHROPIC_API_KEY", "sk-proxy"}}));
  auto head = sdk_request();
  const auto missing = keyed.decide(head);
  EXPECT_EQ(status_of(missing), 401);
  EXPECT_EQ(body_of(missing).at("error").at("type"), "authentication_error");
  EXPECT_THAT(message_of(missing), HasSubstr("ANTHROPIC_API_KEY"));
  head.x_api_key = "sk-proxy";
  EXPECT_EQ(status_of(keyed.decide(head)), 0);
  head.x_api_key = "";
  head.authorization = "Bearer sk-proxy";
  EXPECT_EQ(status_of(keyed.decide(head)), 0);
  head.authorization = "Bearer sk-wrong";
  EXPECT_EQ(status_of(keyed.decide(head)), 401);
  head.path = "/v1/messages/count_tokens";
  EXPECT_EQ(status_of(keyed.decide(head)), 401);
}

TEST(Admission, TheGatewayKeyComesAsBearerAndIsRefusedInOpenAiShape) {
  const Admission keyed(config_with({{"GATEWAY_API_KEY", "sk-gw"}}));
  auto head = sdk_request("/v1/chat/completions");
  head.anthropic_client = false;
  head.authorization = "Bearer sk-nope";
  const auto refused = keyed.decide(head);
  EXPECT_EQ(status_of(refused), 401);
  const auto error = body_of(refused).at("error").as_object();
  EXPECT_EQ(error.at("code"), "invalid_api_key");
  EXPECT_EQ(error.at("type"), "invalid_request_error");
  EXPECT_TRUE(error.contains("param"));
  head.authorization = "bearer sk-gw";
  EXPECT_EQ(status_of(keyed.decide(head)), 0);
  // The proxy door has no key: from this machine it stays open.
  EXPECT_EQ(status_of(keyed.decide(sdk_request())), 0);
}

TEST(Admission, ADoorWithoutItsKeyRefusesOtherMachinesNamingTheVariable) {
  const Admission open(config_with({{"HOST", "0.0.0.0"}, {"GATEWAY_API_KEY", "sk-gw"}}));
  auto head = sdk_request();
  head.loopback_peer = false;
  head.host = "10.1.2.3:8082";
  const auto refused = open.decide(head);
  EXPECT_EQ(status_of(refused), 403);
  EXPECT_THAT(message_of(refused), HasSubstr("ANTHROPIC_API_KEY"));
  head.loopback_peer = true;
  head.host = "127.0.0.1:8082";
  EXPECT_EQ(status_of(open.decide(head)), 0);

  head = sdk_request("/v1/chat/completions");
  head.loopback_peer = false;
  head.host = "10.1.2.3:8082";
  head.authorization = "Bearer sk-gw";
  EXPECT_EQ(status_of(open.decide(head)), 0);  // its key opens it to every machine

  const Admission none(config_with({{"HOST", "0.0.0.0"}}));
  head = sdk_request("/v1/models");
  head.method = "GET";
  head.loopback_peer = false;
  head.host = "10.1.2.3:8082";
  const auto models = none.decide(head);
  EXPECT_EQ(status_of(models), 403);
  EXPECT_THAT(message_of(models), HasSubstr("GATEWAY_API_KEY"));
  head.path = "/health";
  EXPECT_EQ(status_of(none.decide(head)), 0);
}

TEST(Admission, ModelsNeedAKeyWheneverEitherDoorHasOneWhateverTheHeaders) {
  const Admission gateway_only(config_with({{"GATEWAY_API_KEY", "sk-gw"}}));
  auto head = sdk_request("/v1/models");
  head.method = "GET";
  const auto refused = gateway_only.decide(head);  // anthropic-version, no key
  EXPECT_EQ(status_of(refused), 401);
  EXPECT_EQ(body_of(refused).at("type"), "error");  // the Anthropic shape for this client
  head.x_api_key = "sk-gw";
  EXPECT_EQ(status_of(gateway_only.decide(head)), 0);
  head.x_api_key = "";
  head.anthropic_client = false;
  head.authorization = "Bearer sk-gw";
  EXPECT_EQ(status_of(gateway_only.decide(head)), 0);
  head.authorization = "Bearer sk-wrong";
  EXPECT_EQ(body_of(gateway_only.decide(head)).at("error").at("code"), "invalid_api_key");

  const Admission proxy_only(config_with({{"ANTHROPIC_API_KEY", "sk-p"}}));
  head.authorization = "";
  EXPECT_EQ(status_of(proxy_only.decide(head)), 401);
  head.authorization = "Bearer sk-p";
  EXPECT_EQ(status_of(proxy_only.decide(head)), 0);

  const Admission none(config_with({}));
  head.authorization = "";
  EXPECT_EQ(status_of(none.decide(head)), 0);
}

TEST(Admission, MonitoringWithoutMetricsKeyServesThisMachineOnly) {
  const Admission open(config_with({{"HOST", "0.0.0.0"}, {"ANTHROPIC_API_KEY", "sk-p"}}));
  auto head = sdk_request("/status.json");
  head.method = "GET";
  head.anthropic_client = false;
  EXPECT_EQ(status_of(open.decide(head)), 0);
  head.loopback_peer = false;
  head.host = "10.1.2.3:8082";
  head.x_api_key = "sk-p";  // a door's key is no monitoring key
  const auto refused = open.decide(head);
  EXPECT_EQ(status_of(refused), 403);
  EXPECT_THAT(message_of(refused), HasSubstr("METRICS_KEY"));
  // A rebinding page on this machine: the Host rule applies to a keyless monitoring endpoint.
  head.loopback_peer = true;
  head.host = "evil.example";
  EXPECT_EQ(status_of(open.decide(head)), 403);
}

TEST(Admission, MonitoringWithMetricsKeyWantsItFromEveryone) {
  const Admission keyed(config_with({{"METRICS_KEY", "mk-1"}, {"GATEWAY_API_KEY", "sk-gw"}}));
  auto head = sdk_request("/metrics");
  head.method = "GET";
  head.anthropic_client = false;
  const auto missing = keyed.decide(head);  // loopback, but no key
  EXPECT_EQ(status_of(missing), 401);
  EXPECT_EQ(body_of(missing).at("error").at("type"), "authentication_error");
  EXPECT_THAT(message_of(missing), HasSubstr("METRICS_KEY"));
  head.authorization = "Bearer sk-gw";
  EXPECT_EQ(status_of(keyed.decide(head)), 401);
  head.authorization = "Bearer mk-1";
  EXPECT_EQ(status_of(keyed.decide(head)), 0);
  head.authorization = "";
  head.x_api_key = "mk-1";
  EXPECT_EQ(status_of(keyed.decide(head)), 0);
  head.x_api_key = "";
  head.query_key = "mk-1";  // filled only for GET /status (see Admission::operator())
  head.path = "/status";
  EXPECT_EQ(status_of(keyed.decide(head)), 0);
  head.query_key = "mk-2";
  EXPECT_EQ(status_of(keyed.decide(head)), 401);
}

TEST(Admission, ApiPostsMustBeJson) {
  const Admission open(config_with({}));
  auto head = sdk_request();
  head.content_type = "text/plain;charset=UTF-8";  // a cross-site form's "simple" request
  const auto refused = open.decide(head);
  EXPECT_EQ(status_of(refused), 415);
  EXPECT_EQ(body_of(refused).at("error").at("type"), "invalid_request_error");
  head.content_type = "";
  EXPECT_EQ(status_of(open.decide(head)), 415);
  head = sdk_request("/v1/chat/completions");
  head.content_type = "application/x-www-form-urlencoded";
  EXPECT_TRUE(body_of(open.decide(head)).at("error").as_object().contains("code"));
  head.method = "GET";  // not a body: 405 from the routes, not 415
  EXPECT_EQ(status_of(open.decide(head)), 0);
  head = sdk_request("/v1/messages/count_tokens");
  head.content_type = "Application/Json; charset=utf-8";
  EXPECT_EQ(status_of(open.decide(head)), 0);
}

TEST(Admission, McpAsksNoClientKey) {
  const Admission keyed(config_with({{"HOST", "0.0.0.0"}, {"GATEWAY_API_KEY", "k"}}));
  auto head = sdk_request("/mcp/gateway/session-1");
  head.anthropic_client = false;
  EXPECT_EQ(status_of(keyed.decide(head)), 0);  // its per-session secret is the endpoint's
}

TEST(Admission, ErrorRepliesSpeakTheDoorsProtocol) {
  const auto anthropic = error_reply(Door::proxy, false, 408, "slow");
  EXPECT_EQ(boost::json::parse(anthropic.body).at("type"), "error");
  const auto openai = error_reply(Door::gateway, true, 413, "big");
  EXPECT_EQ(boost::json::parse(openai.body).at("error").at("type"), "invalid_request_error");
  EXPECT_EQ(openai.content_type, "application/json");
  const auto models = error_reply(Door::models, false, 500, "x");
  EXPECT_TRUE(boost::json::parse(models.body).at("error").as_object().contains("code"));
}

}  // namespace
}  // namespace ccgate::app
