// Black-box: the real smscoach binary on a free loopback port, texted over HTTP
// exactly as Twilio would, and its CLI run as a user would.

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "content/loader.hpp"
#include "dialogue/store/store.hpp"
#include "gateway/form.hpp"
#include "http_client.hpp"
#include "server_process.hpp"
#include "support/test_database.hpp"
#include "twilio_signing.hpp"
#include "twiml_reading.hpp"

using namespace smscoach;
using test::Fields;
using test::HttpClient;
using test::ServerProcess;
using test::twiml_messages;

namespace {

const content::KnowledgeBase& shipped() {
  static const content::KnowledgeBase kb = [] {
    auto r = content::load_knowledge_base(SMSCOACH_CONTENT_DIR);
    REQUIRE(r.ok());
    return r.kb;
  }();
  return kb;
}

class Texter {
 public:
  Texter(std::uint16_t port, std::string number) : port_(port), number_(std::move(number)) {}

  Fields fields(const std::string& body, const std::string& sid) const {
    return {{"ToCountry", "US"},  {"SmsMessageSid", sid}, {"NumMedia", "0"},
            {"SmsSid", sid},      {"SmsStatus", "received"}, {"Body", body},
            {"To", "+15550001111"}, {"NumSegments", "1"},   {"MessageSid", sid},
            {"AccountSid", "AC00000000000000000000000000000000"}, {"From", number_},
            {"ApiVersion", "2010-04-01"}};
  }

  // Sends a text; returns the replies. Fails the test on a non-200.
  std::vector<std::string> text(const std::string& body, std::string sid = {}) {
    // Unique across texters and server restarts within this test process.
    static std::atomic<int> counter{0};
    if (sid.empty()) sid = "SM" + std::to_string(++counter) + "x" + number_.substr(1);
    last_ = client_.post_form(port_, "/sms/twilio", fields(body, sid));
    INFO(last_.body);
    REQUIRE(last_.status == 200);
    CHECK(last_.content_type.find("text/xml") == 0);
    return twiml_messages(last_.body);
  }
  const test::HttpResult& last() const { return last_; }

 private:
  HttpClient client_;
  std::uint16_t port_;
  std::string number_;
  test::HttpResult last_;
};

std::vector<std::string> serve_args(const test::TestDatabase& db, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"serve", "--listen", "127.0.0.1:0", "--db",
                                   db.url()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

struct CommandResult {
  int exit_code;
  std::string out;
  std::string err;
};

// Runs the binary through the shell with `input` on stdin.
CommandResult run_cli(const test::TestDatabase& db, const std::string& args, const std::string& input) {
  const auto in = db.dir() / "stdin.txt", out = db.dir() / "stdout.txt",
             err = db.dir() / "stderr.txt";
  std::ofstream(in) << input;
  const std::string cmd = std::string("'") + SMSCOACH_BINARY + "' " + args + " < '" + in.string() +
                          "' > '" + out.string() + "' 2> '" + err.string() + "'";
  const int status = std::system(cmd.c_str());
  auto slurp = [](const std::filesystem::path& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  };
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

}  // namespace

TEST_CASE("a texter is answered, opts out, stays opted out across a restart, and opts back in") {
  test::TestDatabase db;
  const auto& program = shipped().program;
  const auto* faq = shipped().find_faq("what_is_lean_mass");
  REQUIRE(faq);
  {
    ServerProcess server(SMSCOACH_BINARY, serve_args(db));
    Texter texter(server.port(), "+15551234567");

    CHECK(texter.text(faq->question) == std::vector<std::string>{faq->answer});
    CHECK(texter.text("HELP") == std::vector<std::string>{program.help});
    CHECK(texter.text("Stop") == std::vector<std::string>{program.opt_out_confirmation});
    CHECK(texter.text(faq->question).empty());
    CHECK(texter.last().body == "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>");
    CHECK(texter.text("HELP").empty());
    CHECK(texter.text("STOP").empty());  // one confirmation only

    // Someone else is unaffected.
    Texter other(server.port(), "+15559876543");
    CHECK(other.text(faq->question) == std::vector<std::string>{faq->answer});
    CHECK(server.stop() == 0);  // SIGTERM stops it cleanly
  }
  {
    ServerProcess server(SMSCOACH_BINARY, serve_args(db));
    Texter texter(server.port(), "+15551234567");
    CHECK(texter.text(faq->question).empty());  // the opt-out survived the restart
    CHECK(texter.text("START") == std::vector<std::string>{program.opt_in_confirmation});
    CHECK(texter.text(faq->question) == std::vector<std::string>{faq->answer});
  }
  // Every text was stored, answered or not.
  auto opened = db.open();
  dialogue::Store& store = *opened;
  const auto messages = store.messages("+15551234567");
  REQUIRE(messages);
  int inbound = 0;
  for (const auto& m : *messages) inbound += m.direction == dialogue::Direction::in;
  CHECK(inbound == 9);
  CHECK_FALSE(store.load_texter("+15551234567")->opted_out);
}

namespace {

// How many of the process's threads carry `name` (as `top -H` shows them).
int threads_named(pid_t pid, const std::string& name) {
  int count = 0;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string line;
    if (std::getline(comm, line) && line == name) ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("serve runs a worker a core on SQLite (at least 2), 32 on PostgreSQL, or --workers") {
  test::TestDatabase db;
  // The workers are named before the server says it is listening.
  {
    ServerProcess server(SMSCOACH_BINARY, serve_args(db));
    const int cores = static_cast<int>(std::thread::hardware_concurrency());
    CHECK(threads_named(server.pid(), "worker") ==
          (test::TestDatabase::postgres() ? 32 : std::max(2, cores)));
  }
  {
    ServerProcess server(SMSCOACH_BINARY, serve_args(db, {"--workers", "3"}));
    CHECK(threads_named(server.pid(), "worker") == 3);
  }
}

TEST_CASE("a repeated MessageSid gets the same TwiML and is processed once") {
  test::TestDatabase db;
  {
    ServerProcess server(SMSCOACH_BINARY, serve_args(db));
    Texter texter(server.port(), "+15551112222");
    const auto first = texter.text("hello", "SMrepeat0001");
    const std::string first_body = texter.last().body;
    const auto again = texter.text("hello", "SMrepeat0001");
    CHECK(again == first);
    CHECK(texter.last().body == first_body);
    // A STOP retried after the opt-out must not look like a fresh STOP either.
    CHECK(texter.text("STOP", "SMrepeat0002").size() == 1);
    CHECK(texter.text("STOP", "SMrepeat0002").size() == 1);  // same answer as the first delivery
  }
  auto opened = db.open();
  dialogue::Store& store = *opened;
  CHECK(store.messages("+15551112222")->size() == 4);  // 2 texts in, 2 replies out
}

TEST_CASE("bad requests get a clear 4xx and the server keeps serving") {
  test::TestDatabase db;
  ServerProcess server(SMSCOACH_BINARY, serve_args(db));
  HttpClient http;
  const auto port = server.port();
  Texter texter(port, "+15553334444");

  auto missing_from = http.post_form(port, "/sms/twilio", {{"Body", "hi"}, {"MessageSid", "SM1"}});
  CHECK(missing_from.status == 400);
  CHECK(missing_from.body.find("From") != std::string::npos);
  auto json = http.post_raw(port, "/sms/twilio", "application/json", "{\"Body\": \"hi\"}");
  CHECK(json.status == 415);
  auto bad_escape = http.post_raw(port, "/sms/twilio", "application/x-www-form-urlencoded",
                                  "From=%2B1555&Body=%ZZ&MessageSid=SM2");
  CHECK(bad_escape.status == 400);
  CHECK(http.get(port, "/sms/twilio").status == 405);
  CHECK(http.get(port, "/nope").status == 404);
  CHECK(http.post_raw(port, "/sms/twilio", "application/x-www-form-urlencoded",
                      std::string(2 * 1024 * 1024, 'a'))
            .status == 413);
  CHECK(http.get(port, "/healthz").status == 200);
  CHECK(http.get(port, "/readyz").status == 200);
  // Hostile text is just text.
  CHECK(texter.text("<Response><Message>x</Message></Response> & \xF0\x9F\x92\xA9 '; DROP TABLE texters;--")
            .size() == 1);
  CHECK(texter.text("") .size() == 1);
  CHECK(server.running());
}

TEST_CASE("with an auth token, only correctly signed webhooks are processed") {
  test::TestDatabase db;
  const std::string token = "12345678901234567890123456789012";
  const std::string public_url = "https://sms.example.com";
  ServerProcess server(SMSCOACH_BINARY,
                       serve_args(db, {"--twilio-auth-token", token, "--public-url", public_url}));
  HttpClient http;
  Texter texter(server.port(), "+15556667777");
  const auto fields = texter.fields("hello", "SMsigned0001");

  auto unsigned_request = http.post_form(server.port(), "/sms/twilio", fields);
  CHECK(unsigned_request.status == 403);

  const auto signature = test::twilio_signature_for(token, public_url + "/sms/twilio", fields);
  auto forged = http.post_form(server.port(), "/sms/twilio", fields,
                               {{"X-Twilio-Signature", "AAAA" + signature.substr(4)}});
  CHECK(forged.status == 403);
  auto signed_request =
      http.post_form(server.port(), "/sms/twilio", fields, {{"X-Twilio-Signature", signature}});
  CHECK(signed_request.status == 200);
  CHECK(twiml_messages(signed_request.body).size() == 1);
}

TEST_CASE("serve refuses what it cannot do, in one line") {
  test::TestDatabase db;
  auto public_dev = run_cli(db, "serve --listen 0.0.0.0:0 --db '" + (db.dir() / "x.db").string() + "'", "");
  CHECK(public_dev.exit_code == 2);
  CHECK(public_dev.err.find("loopback only") != std::string::npos);
  auto bad_listen = run_cli(db, "serve --listen nowhere", "");
  CHECK(bad_listen.exit_code == 2);
  auto unknown = run_cli(db, "serve --bogus", "");
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err == "smscoach: unknown flag --bogus (see smscoach serve --help)\n");
}

TEST_CASE("the CLI: chat, classify, content check, export, forget") {
  test::TestDatabase db;
  const std::string db_flag = "--db '" + db.url() + "'";

  SECTION("chat writes one JSON object per text with the SPEC state keys") {
    auto r = run_cli(db, "chat --from +15550001234 " + db_flag, "hello\nSTOP\nwhat is lean mass\n");
    REQUIRE(r.exit_code == 0);
    std::istringstream lines(r.out);
    std::vector<nlohmann::json> out;
    for (std::string line; std::getline(lines, line);) out.push_back(nlohmann::json::parse(line));
    REQUIRE(out.size() == 3);
    for (const auto& j : out) {
      for (const char* key : {"in", "replies", "intent", "confidence", "entities", "state"}) {
        CHECK(j.contains(key));
      }
      for (const char* key : {"weight_kg", "goal", "medications", "opted_out", "mode", "flagged"}) {
        CHECK(j["state"].contains(key));
      }
    }
    CHECK(out[0]["intent"] == "greeting");
    CHECK(out[1]["state"]["opted_out"] == true);
    CHECK(out[2]["replies"].empty());
    CHECK(out[2]["state"]["mode"] == "bot");
    CHECK(out[2]["state"]["weight_kg"].is_null());
  }
  SECTION("classify is stateless and accepts lines or JSONL") {
    auto r = run_cli(db, "classify", "STOP\n{\"text\": \"what is lean mass\"}\nyes\n");
    REQUIRE(r.exit_code == 0);
    std::istringstream lines(r.out);
    std::vector<nlohmann::json> out;
    for (std::string line; std::getline(lines, line);) out.push_back(nlohmann::json::parse(line));
    REQUIRE(out.size() == 3);
    CHECK(out[0]["intent"] == "opt_out");
    CHECK(out[1]["text"] == "what is lean mass");
    CHECK(out[1]["intent"] == "faq.what_is_lean_mass");
    CHECK(out[2]["intent"] != "opt_in");  // YES is an opt-in only while opted out
  }
  SECTION("content check passes the shipped base and reports file:line on a broken one") {
    auto ok = run_cli(db, "content check", "");
    CHECK(ok.exit_code == 0);
    CHECK(ok.out.find("ok:") == 0);
    const auto broken = db.dir() / "broken";
    std::filesystem::create_directories(broken);
    for (const auto& e : std::filesystem::directory_iterator(SMSCOACH_CONTENT_DIR)) {
      std::filesystem::copy_file(e.path(), broken / e.path().filename());
    }
    std::ofstream(broken / "intents.jsonl", std::ios::app) << "{not json\n";
    auto bad = run_cli(db, "content check '" + broken.string() + "'", "");
    CHECK(bad.exit_code == 1);
    CHECK(bad.out.find("intents.jsonl:") != std::string::npos);
    CHECK(bad.out.find(": not valid JSON") != std::string::npos);
    auto refuse = run_cli(db, "serve --listen 127.0.0.1:0 --content '" + broken.string() + "' " + db_flag, "");
    CHECK(refuse.exit_code == 1);  // the server refuses to start on invalid content
  }
  SECTION("export-training writes every utterance") {
    auto r = run_cli(db, "content export-training", "");
    REQUIRE(r.exit_code == 0);
    std::size_t n = 0;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line); ++n) {
      const auto j = nlohmann::json::parse(line);
      CHECK(j.contains("text"));
      CHECK(j.contains("intent"));
    }
    CHECK(n == shipped().training_utterances().size());
  }
  SECTION("users forget erases a texter but keeps the opt-out") {
    REQUIRE(run_cli(db, "chat --from +15550009999 " + db_flag, "im 80kg\nSTOP\n").exit_code == 0);
    auto r = run_cli(db, "users forget +15550009999 " + db_flag, "");
    CHECK(r.exit_code == 0);
    auto opened = db.open();
    dialogue::Store& store = *opened;
    CHECK(store.messages("+15550009999")->empty());
    CHECK(store.load_texter("+15550009999")->opted_out);
    CHECK(run_cli(db, "users forget 5550009999 " + db_flag, "").exit_code == 2);
  }
}

TEST_CASE("what a texter told the line is remembered across a restart") {
  test::TestDatabase db;
  {
    ServerProcess server(SMSCOACH_BINARY, serve_args(db));
    Texter texter(server.port(), "+15552223333");
    texter.text("im 176 lbs and bulking");
    const auto ask = texter.text("what dose do i need?");
    REQUIRE(ask.size() == 1);
    CHECK(ask[0] == shipped().program.dose_ask_supplement);
  }
  ServerProcess server(SMSCOACH_BINARY, serve_args(db));
  Texter texter(server.port(), "+15552223333");
  // The pending question and the weight both survived: "creatine" answers it.
  const auto dose = texter.text("creatine");
  REQUIRE(dose.size() == 1);
  CHECK(dose[0].find("176 lb (80 kg)") != std::string::npos);
  CHECK(dose[0].find("24 g") != std::string::npos);
}

TEST_CASE("a keyword Twilio already answered (OptOutType) is recorded and not answered again") {
  test::TestDatabase db;
  ServerProcess server(SMSCOACH_BINARY, serve_args(db));
  HttpClient http;
  Texter texter(server.port(), "+15554445555");
  auto fields = texter.fields("STOP", "SMoptout0001");
  fields.emplace_back("OptOutType", "STOP");
  const auto stop = http.post_form(server.port(), "/sms/twilio", fields);
  CHECK(stop.status == 200);
  CHECK(stop.body == "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>");
  CHECK(texter.text("what is lean mass").empty());  // opted out: silence
  auto start = texter.fields("START", "SMoptout0002");
  start.emplace_back("OptOutType", "START");
  CHECK(http.post_form(server.port(), "/sms/twilio", start).body ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>");
  CHECK(texter.text("what is lean mass").size() == 1);
}

TEST_CASE("with a rate limit, excess texts get an empty response and STOP still acts") {
  test::TestDatabase db;
  ServerProcess server(SMSCOACH_BINARY, serve_args(db, {"--rate-limit", "2"}));
  Texter texter(server.port(), "+15557778888");
  CHECK(texter.text("hello").size() == 1);
  CHECK(texter.text("hello again").size() == 1);
  CHECK(texter.text("what is lean mass").empty());
  CHECK(texter.text("STOP").size() == 1);
  Texter other(server.port(), "+15557779999");
  CHECK(other.text("hello").size() == 1);
  auto opened = db.open();
  dialogue::Store& store = *opened;
  CHECK(store.messages("+15557778888")->size() == 4 + 3);
}
