#include <catch2/catch.hpp>
#include <thread>

#include "gateway/server.hpp"
#include "http_client.hpp"
#include "server_process.hpp"
#include "tests/unit/gateway_fake_sms_application.hpp"

using namespace std::chrono_literals;
using smscoach::gateway::testing::FakeSmsApplication;
using smscoach::test::HttpClient;
using smscoach::test::ServerProcess;

namespace {

std::vector<std::string> sh(const std::string& script) { return {"-c", script}; }

}  // namespace

TEST_CASE("ServerProcess learns the port and stops the child with SIGTERM", "[support]") {
  // The trap is set before the child says it listens, or a prompt SIGTERM
  // could arrive before it.
  ServerProcess process("/bin/sh", sh("trap 'exit 3' TERM; echo starting; "
                                      "echo '[info] listening on 127.0.0.1:4321'; "
                                      "while :; do sleep 0.05; done"));
  CHECK(process.port() == 4321);
  CHECK(process.running());
  CHECK(process.output().find("starting") != std::string::npos);
  CHECK(process.stop() == 3);
  CHECK(process.exit_code() == 3);
  CHECK(process.stop() == 3);  // idempotent
}

TEST_CASE("ServerProcess passes extra environment and forwards signals", "[support]") {
  ServerProcess process(
      "/bin/sh",
      sh("trap 'echo reloaded' HUP; trap 'exit 0' TERM; echo listening on 127.0.0.1:$PORT_TO_USE; "
         "while :; do sleep 0.05; done"),
      {"PORT_TO_USE=8123"});
  CHECK(process.port() == 8123);
  process.signal(SIGHUP);
  CHECK(process.wait_for_output("reloaded", 5s));
  CHECK(process.stop() == 0);
}

TEST_CASE("ServerProcess kills a child that ignores SIGTERM", "[support]") {
  ServerProcess process("/bin/sh", sh("trap '' TERM; echo listening on 127.0.0.1:1; "
                                      "while :; do sleep 0.05; done"));
  const auto start = std::chrono::steady_clock::now();
  CHECK(process.stop(300ms) == 128 + SIGKILL);
  CHECK(std::chrono::steady_clock::now() - start < 3s);
}

TEST_CASE("ServerProcess::kill9 ends the child at once", "[support]") {
  ServerProcess process("/bin/sh", sh("echo listening on 127.0.0.1:2; exec sleep 30"));
  process.kill9();
  CHECK(process.exit_code() == 128 + SIGKILL);
  CHECK_FALSE(process.running());
}

TEST_CASE("ServerProcess fails when the child never says where it listens", "[support]") {
  CHECK_THROWS_WITH(ServerProcess("/bin/sh", sh("echo hello; sleep 30"), {}, 300ms),
                    Catch::Contains("did not report") && Catch::Contains("hello"));
  CHECK_THROWS_WITH(ServerProcess("/bin/sh", sh("echo bye; exit 1")), Catch::Contains("bye"));
  CHECK_THROWS(ServerProcess("/nonexistent/smscoach", {}));
}

TEST_CASE("HttpClient talks to a real server", "[support]") {
  FakeSmsApplication app;
  app.reply_with({"pong"});
  smscoach::gateway::ServerConfig config;
  config.port = 0;
  smscoach::gateway::Server server(config, app);
  std::thread runner([&] { server.run(); });

  HttpClient client;
  const auto health = client.get(server.port(), "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == "ok");
  CHECK(health.header("server") == "smscoach");

  const auto reply = client.post_form(
      server.port(), "/sms/twilio",
      {{"MessageSid", "SM1"}, {"From", "+15551234567"}, {"Body", "a+b & c=d caf\xC3\xA9 100%"}});
  CHECK(reply.status == 200);
  CHECK(reply.content_type == "text/xml");
  CHECK(reply.body.find("<Message>pong</Message>") != std::string::npos);
  REQUIRE(app.calls().size() == 1);
  CHECK(app.calls()[0].from == "+15551234567");
  CHECK(app.calls()[0].body == "a+b & c=d caf\xC3\xA9 100%");

  CHECK(client.post_raw(server.port(), "/sms/twilio", "text/plain", "x").status == 415);
  CHECK(client.request("DELETE", server.port(), "/healthz", {}, {}).status == 405);
  CHECK(client.form_encode({{"a b", "+&="}}) == "a%20b=%2B%26%3D");

  server.stop();
  runner.join();
  CHECK_THROWS(client.get(server.port(), "/healthz"));
}
