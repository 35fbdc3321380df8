// Black-box: `smscoach serve --reply-mode rest` against a fake Messages API,
// both real HTTP servers on loopback. The webhook is acknowledged at once and
// replies leave through the persistent outbox: retried when Twilio says so,
// never when it says no, never to an opted-out number, and not lost when the
// process is killed.

#include <catch2/catch.hpp>

#include <algorithm>
#include <thread>

#include "dialogue/store/store.hpp"
#include "fake_messages_api.hpp"
#include "http_client.hpp"
#include "eventually.hpp"
#include "server_process.hpp"
#include "support/test_database.hpp"
#include "rest_mode_args.hpp"
#include "twilio_signing.hpp"
#include "twiml_reading.hpp"

using namespace smscoach;
using namespace std::chrono_literals;
using test::FakeMessagesApi;
using test::FakeReply;
using test::Fields;
using test::HttpClient;
using test::ServerProcess;
using test::eventually;
using test::kEmptyTwiml;

namespace {

const std::string kAccountSid = "AC0123456789abcdef0123456789abcdef";
const std::string kToken = "rest-test-auth-token-0123456789ab";
const std::string kPublicUrl = "https://sms.example.com";
const std::string kLine = "+15550001111";


std::vector<std::string> rest_args(const test::TestDatabase& db, const FakeMessagesApi& api,
                                   std::vector<std::string> extra = {}) {
  return test::rest_mode_args(db.url(), api.base_url(), {kAccountSid, kToken, kPublicUrl},
                              std::move(extra));
}

// Posts as Twilio does: form-encoded and signed for the public URL.
test::HttpResult post_signed(std::uint16_t port, const std::string& path, const Fields& fields) {
  HttpClient http;
  return http.post_form(
      port, path, fields,
      {{"X-Twilio-Signature", test::twilio_signature_for(kToken, kPublicUrl + path, fields)}});
}

test::HttpResult text(std::uint16_t port, const std::string& from, const std::string& body,
                      const std::string& sid) {
  return post_signed(port, "/sms/twilio",
                     {{"MessageSid", sid}, {"SmsSid", sid}, {"AccountSid", kAccountSid},
                      {"From", from}, {"To", kLine}, {"Body", body}, {"NumMedia", "0"}});
}

std::vector<test::FakeRequest> requests_to(const FakeMessagesApi& api, const std::string& to) {
  std::vector<test::FakeRequest> out;
  for (auto& r : api.requests()) {
    if (r.form.count("To") && r.form.at("To") == to) out.push_back(r);
  }
  return out;
}

// Polls the store until `done` holds or the timeout passes.
std::vector<dialogue::OutboxRecord> outbox_rows(const test::TestDatabase& db, const std::string& number) {
  auto opened = db.open();
  dialogue::Store& store = *opened;
  auto rows = store.outbox(number);
  REQUIRE(rows);
  return *rows;
}

}  // namespace

TEST_CASE("REST mode acknowledges at once and sends the reply through the Messages API") {
  test::TestDatabase db;
  FakeMessagesApi api(kAccountSid, kToken);
  ServerProcess server(SMSCOACH_BINARY, rest_args(db, api));
  const std::string number = "+15557770001";

  const auto ack = text(server.port(), number, "how much creatine should i take", "SMrest0001");
  REQUIRE(ack.status == 200);
  CHECK(ack.body == kEmptyTwiml);

  REQUIRE(api.wait_for_accepted(1, 10s));
  const auto sent = api.accepted().front();
  CHECK(sent.path == "/2010-04-01/Accounts/" + kAccountSid + "/Messages.json");
  CHECK(sent.form.at("To") == number);
  CHECK(sent.form.at("From") == kLine);
  CHECK_FALSE(sent.form.at("Body").empty());
  CHECK(sent.form.at("StatusCallback") == kPublicUrl + "/sms/twilio/status");
  CHECK(sent.authorization.rfind("Basic ", 0) == 0);

  // Twilio retrying the webhook gets the same empty answer and sends nothing new.
  const auto again = text(server.port(), number, "how much creatine should i take", "SMrest0001");
  CHECK(again.body == kEmptyTwiml);
  std::this_thread::sleep_for(300ms);
  CHECK(api.requests().size() == 1);

  // The status callback, signed like the webhook, moves the delivery forward.
  const Fields delivered = {{"MessageSid", sent.sid}, {"MessageStatus", "delivered"},
                            {"AccountSid", kAccountSid}, {"To", number}, {"From", kLine}};
  CHECK(post_signed(server.port(), "/sms/twilio/status", delivered).status == 200);
  HttpClient http;
  CHECK(http.post_form(server.port(), "/sms/twilio/status", delivered).status == 403);
  const auto rows = outbox_rows(db, number);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].status == "sent");
  CHECK(rows[0].provider_sid == sent.sid);
  CHECK(rows[0].delivery_status == "delivered");
  CHECK(rows[0].body == sent.form.at("Body"));

  const auto metrics = http.get(server.port(), "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("smscoach_outbox_sent_total 1\n") != std::string::npos);
  CHECK(metrics.body.find("smscoach_outbox_depth 0\n") != std::string::npos);
  CHECK(metrics.body.find("smscoach_texts_duplicate_total 1\n") != std::string::npos);
  CHECK(metrics.body.find("smscoach_status_callbacks_total 2\n") == std::string::npos);
  CHECK(metrics.body.find("smscoach_status_callbacks_total 1\n") != std::string::npos);
  // SQLite's group commit: one turn committed (the retry was answered from
  // the store), its commit and flush timed. PostgreSQL commits each turn.
  if (test::TestDatabase::postgres()) {
    CHECK(metrics.body.find("smscoach_store_commit_duration_seconds") == std::string::npos);
  } else {
    CHECK(metrics.body.find("smscoach_store_committed_turns_total 1\n") != std::string::npos);
    CHECK(metrics.body.find("smscoach_store_commit_duration_seconds_count ") != std::string::npos);
    CHECK(metrics.body.find("smscoach_store_flush_duration_seconds_count ") != std::string::npos);
    CHECK(metrics.body.find("smscoach_store_checkpoints_total 0\n") != std::string::npos);
  }
}

TEST_CASE("REST mode retries through 5xx, 429 and timeouts, and sends once") {
  test::TestDatabase db;
  FakeMessagesApi api(kAccountSid, kToken);
  ServerProcess server(SMSCOACH_BINARY, rest_args(db, api, {"--outbox-timeout-ms", "300"}));
  const std::string number = "+15557770002";
  api.plan(number, {FakeReply{500}, FakeReply{503}, FakeReply{429},
                    FakeReply{201, 0, std::chrono::milliseconds(2000)}});

  REQUIRE(text(server.port(), number, "hi", "SMrest0002").status == 200);
  REQUIRE(api.wait_for_accepted(1, 15s));
  // The delayed 201 timed out on our side; whether Twilio created it we
  // cannot know, so it was tried again: five attempts, the last accepted.
  REQUIRE(eventually([&] { return requests_to(api, number).size() >= 5; }));
  const auto tries = requests_to(api, number);
  CHECK(tries[0].answered_status == 500);
  CHECK(tries[1].answered_status == 503);
  CHECK(tries[2].answered_status == 429);
  REQUIRE(eventually([&] { return outbox_rows(db, number).front().status == "sent"; }));
  CHECK(outbox_rows(db, number).front().attempts == 5);
  std::this_thread::sleep_for(300ms);
  CHECK(requests_to(api, number).size() == 5);
}

TEST_CASE("REST mode takes 21610 as an opt-out and sends nothing more") {
  test::TestDatabase db;
  FakeMessagesApi api(kAccountSid, kToken);
  ServerProcess server(SMSCOACH_BINARY, rest_args(db, api));
  const std::string number = "+15557770003";
  api.plan(number, {FakeReply{400, 21610}});

  REQUIRE(text(server.port(), number, "hi", "SMrest0003").status == 200);
  REQUIRE(eventually([&] {
    auto opened = db.open();
  dialogue::Store& store = *opened;
    return store.load_texter(number)->opted_out;
  }));
  CHECK(outbox_rows(db, number).front().status == "failed");
  CHECK(outbox_rows(db, number).front().error.find("21610") != std::string::npos);

  // Still texting: stored, never answered.
  REQUIRE(text(server.port(), number, "how much protein do i need", "SMrest0004").status == 200);
  std::this_thread::sleep_for(300ms);
  CHECK(requests_to(api, number).size() == 1);
  CHECK(outbox_rows(db, number).size() == 1);
}

TEST_CASE("REST mode does not retry a 4xx that retrying cannot fix") {
  test::TestDatabase db;
  FakeMessagesApi api(kAccountSid, kToken);
  ServerProcess server(SMSCOACH_BINARY, rest_args(db, api));
  const std::string number = "+15557770004";
  api.plan(number, {FakeReply{400, 21211}});

  REQUIRE(text(server.port(), number, "hi", "SMrest0005").status == 200);
  REQUIRE(eventually([&] { return outbox_rows(db, number).front().status == "failed"; }));
  std::this_thread::sleep_for(300ms);
  CHECK(requests_to(api, number).size() == 1);
  HttpClient http;
  const auto metrics = http.get(server.port(), "/metrics").body;
  CHECK(metrics.find("smscoach_outbox_failures_total 1\n") != std::string::npos);
  CHECK(metrics.find("smscoach_outbox_failed 1\n") != std::string::npos);
}

TEST_CASE("a reply queued when the process is killed goes out after a restart") {
  test::TestDatabase db;
  FakeMessagesApi api(kAccountSid, kToken);
  const std::string number = "+15557770005";
  // Twilio is down: the reply waits in the outbox.
  api.plan(number, std::vector<FakeReply>(1000, FakeReply{503}));
  // Short leases: on a shared store (PostgreSQL) nobody releases the dead
  // instance's claim; it runs out.
  const std::vector<std::string> short_lease = {"--outbox-timeout-ms", "500", "--outbox-lease-ms",
                                                "1000"};
  {
    ServerProcess server(SMSCOACH_BINARY, rest_args(db, api, short_lease));
    REQUIRE(text(server.port(), number, "what is creatine", "SMrest0006").status == 200);
    REQUIRE(eventually([&] { return !requests_to(api, number).empty(); }));
    server.kill9();
  }
  CHECK(api.accepted().empty());
  const auto waiting = outbox_rows(db, number);
  REQUIRE(waiting.size() == 1);
  CHECK((waiting[0].status == "pending" || waiting[0].status == "sending"));

  // Twilio is back, and so are we.
  api.plan(number, {});
  ServerProcess server(SMSCOACH_BINARY, rest_args(db, api, short_lease));
  REQUIRE(api.wait_for_accepted(1, 10s));
  CHECK(api.accepted().front().form.at("Body") == waiting[0].body);
  REQUIRE(eventually([&] { return outbox_rows(db, number).front().status == "sent"; }));
  std::this_thread::sleep_for(300ms);
  CHECK(api.accepted().size() == 1);
}

TEST_CASE("STOP in REST mode: the confirmation goes, queued replies do not") {
  test::TestDatabase db;
  FakeMessagesApi api(kAccountSid, kToken);
  const std::string number = "+15557770006";
  api.plan(number, std::vector<FakeReply>(1000, FakeReply{503}));
  ServerProcess server(SMSCOACH_BINARY, rest_args(db, api));
  REQUIRE(text(server.port(), number, "what is creatine", "SMrest0007").status == 200);
  REQUIRE(text(server.port(), number, "STOP", "SMrest0008").status == 200);
  // Twilio comes back only once the waiting reply is cancelled, so the test
  // does not race a retry that is already on the wire.
  REQUIRE(eventually([&] { return outbox_rows(db, number).front().status == "cancelled"; }));
  api.plan(number, {});

  REQUIRE(api.wait_for_accepted(1, 10s));
  std::this_thread::sleep_for(300ms);
  const auto accepted = api.accepted();
  REQUIRE(accepted.size() == 1);
  const auto rows = outbox_rows(db, number);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].status == "cancelled");
  CHECK(rows[1].status == "sent");
  CHECK(accepted[0].form.at("Body") == rows[1].body);
}

TEST_CASE("REST mode refuses to start without what it needs") {
  test::TestDatabase db;
  FakeMessagesApi api(kAccountSid, kToken);
  auto args = rest_args(db, api);
  // Drop --twilio-account-sid and its value.
  const auto at = std::find(args.begin(), args.end(), "--twilio-account-sid");
  args.erase(at, at + 2);
  std::string line = std::string("'") + SMSCOACH_BINARY + "'";
  for (const auto& a : args) line += " '" + a + "'";
  line += " > /dev/null 2> '" + (db.dir() / "err.txt").string() + "'";
  const int status = std::system(line.c_str());
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 2);
}
