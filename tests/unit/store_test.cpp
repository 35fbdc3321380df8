#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <cstdio>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <filesystem>
#include <future>
#include <thread>
#include <tuple>

#include "dialogue/store/postgres_store.hpp"
#include "dialogue/store/sqlite_store.hpp"
#include "support/flush_gate.hpp"
#include "support/test_database.hpp"
#include "support/temp_dir.hpp"

using namespace smscoach;
using namespace smscoach::dialogue;

namespace {

TurnRecord turn(const std::string& sid, const std::string& from, const std::string& body,
                std::vector<std::string> replies, TexterState state = {}) {
  TurnRecord r;
  r.sms = InboundSms{sid, from, "+15550001111", body, ""};
  r.at_ms = 1'700'000'000'000;
  r.intent = "greeting";
  r.confidence = 0.8;
  r.replies = std::move(replies);
  state.number = from;
  r.state = std::move(state);
  return r;
}

int schema_version(Store& store) {
  if (auto* sqlite = dynamic_cast<SqliteStore*>(&store)) return sqlite->schema_version();
  if (auto* postgres = dynamic_cast<PostgresStore*>(&store)) return postgres->schema_version();
  return -1;
}

}  // namespace

TEST_CASE("a new store migrates its schema and knows no one", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  CHECK(schema_version(store) == 7);
  CHECK(store.ping().has_value());
  auto t = store.load_texter("+15551234567");
  REQUIRE(t);
  CHECK(t->number == "+15551234567");
  CHECK_FALSE(t->weight_kg);
  CHECK_FALSE(t->opted_out);
  CHECK(t->mode == Mode::bot);
  auto none = store.processed_replies("SM1");
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
}

TEST_CASE("a turn is stored whole and survives reopening", "[store]") {
  test::TestDatabase db;
  TexterState state;
  state.weight_kg = 81.5;
  state.goal = "lose_fat";
  state.medications = {"sertraline", "metformin"};
  state.opted_out = true;
  state.mode = Mode::human;
  state.flagged = true;
  state.misses = 2;
  state.holding_sent = true;
  state.weight_unit = "lb";
  state.conditions = {"pregnancy"};
  state.pending = "dose_weight";
  state.pending_subject = "creatine";
  state.pending_until_ms = 1'700'000'123'456;
  state.last_supplement = "caffeine";
  state.more_text = "the rest";
  state.age_years = 67;
  {
    auto opened = db.open();
    Store& store = *opened;
    auto r = store.record_turn(turn("SM1", "+15551234567", "hi \"there\" & <you>", {"one", "two"}, state));
    REQUIRE(r);
    CHECK_FALSE(r->duplicate);
  }
  auto reopened = db.open();
  Store& store = *reopened;
  auto t = store.load_texter("+15551234567");
  REQUIRE(t);
  state.number = "+15551234567";
  CHECK(*t == state);
  auto msgs = store.messages("+15551234567");
  REQUIRE(msgs);
  REQUIRE(msgs->size() == 3);
  CHECK((*msgs)[0].direction == Direction::in);
  CHECK((*msgs)[0].body == "hi \"there\" & <you>");
  CHECK((*msgs)[0].author == "texter");
  CHECK((*msgs)[0].intent == "greeting");
  CHECK((*msgs)[1].direction == Direction::out);
  CHECK((*msgs)[1].author == "bot");
  CHECK((*msgs)[2].body == "two");
  auto replies = store.processed_replies("SM1");
  REQUIRE(replies);
  REQUIRE(replies->has_value());
  CHECK(**replies == std::vector<std::string>{"one", "two"});
}

TEST_CASE("a repeated message id changes nothing and returns the first replies", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  REQUIRE(store.record_turn(turn("SM1", "+15551234567", "first", {"answer one"})));
  TexterState changed;
  changed.goal = "endurance";
  auto again = store.record_turn(turn("SM1", "+15551234567", "first", {"other"}, changed));
  REQUIRE(again);
  CHECK(again->duplicate);
  CHECK(again->replies == std::vector<std::string>{"answer one"});
  CHECK(store.messages("+15551234567")->size() == 2);
  CHECK(store.load_texter("+15551234567")->goal.empty());
}

TEST_CASE("a turn without a message id or sender is refused", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  auto r = store.record_turn(turn("", "+15551234567", "x", {}));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::bad_input);
}

TEST_CASE("forget erases profile and messages but keeps an opt-out", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  TexterState opted;
  opted.opted_out = true;
  opted.weight_kg = 70;
  REQUIRE(store.record_turn(turn("SM1", "+15550000001", "STOP", {"bye"}, opted)));
  TexterState plain;
  plain.goal = "maintain";
  REQUIRE(store.record_turn(turn("SM2", "+15550000002", "hi", {"hello"}, plain)));
  REQUIRE(store.record_turn(turn("SM3", "+15550000003", "hi", {"hello"})));

  REQUIRE(store.forget("+15550000001"));
  REQUIRE(store.forget("+15550000002"));
  auto one = store.load_texter("+15550000001");
  CHECK(one->opted_out);
  CHECK_FALSE(one->weight_kg);
  CHECK(store.messages("+15550000001")->empty());
  CHECK(store.processed_replies("SM1")->value().empty());  // the id stays, its reply text goes
  CHECK(store.load_texter("+15550000002")->goal.empty());
  CHECK(store.messages("+15550000002")->empty());
  CHECK(store.messages("+15550000003")->size() == 2);  // others untouched
}

TEST_CASE("a turn that erases history keeps only itself", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  REQUIRE(store.record_turn(turn("SM1", "+15550000001", "im 80kg", {"noted"})));
  auto erase = turn("SM2", "+15550000001", "delete my data", {"done"});
  erase.erase_history = true;
  REQUIRE(store.record_turn(erase));
  auto msgs = store.messages("+15550000001");
  REQUIRE(msgs->size() == 2);
  CHECK((*msgs)[0].body == "delete my data");
  CHECK(store.processed_replies("SM1")->value().empty());
  CHECK(store.processed_replies("SM2")->value() == std::vector<std::string>{"done"});
}

TEST_CASE("a database newer than the program is refused at open", "[sqlite]") {
  test::TempDir dir;
  const auto path = dir.path() / "s.db";
  { SqliteStore store(path); }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  CHECK_THROWS_WITH(SqliteStore(path), Catch::Contains("newer than this smscoach"));
}

TEST_CASE("a new SQLite store creates its folder", "[sqlite]") {
  test::TempDir dir;
  SqliteStore store(dir.path() / "sub" / "s.db");
  CHECK(store.schema_version() == 7);
  CHECK(std::filesystem::exists(dir.path() / "sub" / "s.db"));
}

TEST_CASE("a PostgreSQL schema newer than the program is refused at open", "[postgresql]") {
  test::TestDatabase db;
  db.open();
  db.execute("UPDATE smscoach_schema SET version = 99");
  CHECK_THROWS_WITH(db.open(), Catch::Contains("newer than this smscoach"));
}

TEST_CASE("PostgreSQL instances starting together migrate once", "[postgresql]") {
  test::TestDatabase db;
  std::vector<std::thread> starting;
  std::atomic<int> opened{0};
  for (int i = 0; i < 4; ++i) {
    starting.emplace_back([&] {
      if (db.open()) ++opened;
    });
  }
  for (auto& t : starting) t.join();
  CHECK(opened == 4);
  auto store = db.open();
  CHECK(schema_version(*store) == 7);
}

TEST_CASE("an unreachable PostgreSQL is refused at open with a reason, password hidden", "[postgresql]") {
  CHECK_THROWS_WITH(PostgresStore("postgresql://smscoach:secret@127.0.0.1:1/none", 1),
                    Catch::Contains("cannot connect to PostgreSQL at "
                                    "postgresql://smscoach:***@127.0.0.1:1/none"));
}

TEST_CASE("a file that is not a database is refused at open with a reason", "[sqlite]") {
  test::TempDir dir;
  const auto path = dir.path() / "s.db";
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f);
    for (int i = 0; i < 64; ++i) std::fputs("this is not a database file at all......", f);
    std::fclose(f);
  }
  CHECK_THROWS_WITH(SqliteStore(path), Catch::Contains("database"));
}

TEST_CASE("PostgreSQL connections the server dropped are opened again", "[postgresql]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  REQUIRE(store.record_turn(turn("SM1", "+15551234567", "hi", {"hello"})));
  // As a server restart or failover would: every session of the store ends
  // (the test's own, named after its schema; other tests run beside it).
  fresh.database().execute(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
      "WHERE application_name = current_schema() AND datname = current_database() "
      "AND pid <> pg_backend_pid()");
  // A connection found closed when it is taken from the pool is opened
  // again. At most one call can meet a session that is still dying (a 503,
  // which Twilio retries).
  int failures = 0;
  for (int i = 0; i < 3 && !store.ping(); ++i) ++failures;
  CHECK(failures <= 1);
  for (int i = 0; i < 8; ++i) CHECK(store.ping());
  CHECK(store.messages("+15551234567")->size() == 2);
}

TEST_CASE("a PostgreSQL turn whose write fails in the pipeline is refused whole, with the "
          "reason, and each connection serves the next turn",
          "[postgresql]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  // A trigger of the test's own refuses the text "boom": in a turn, the
  // inbound text and the replies are written without waiting for their
  // answers, so the refusal comes back with the commit.
  fresh.database().execute(
      "CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "IF NEW.body = 'boom' THEN RAISE EXCEPTION 'boom refused'; END IF; RETURN NEW; END $$; "
      "CREATE TRIGGER refuse_boom BEFORE INSERT ON messages FOR EACH ROW "
      "EXECUTE FUNCTION refuse_boom()");
  TexterState told;
  told.goal = "build_muscle";  // stored only if the turn is
  // More rounds than the pool has connections, so each meets a failure.
  for (int i = 0; i < 6; ++i) {
    INFO("round " << i);
    const std::string n = std::to_string(i);
    const std::string bad_reply = "+1555140000" + n;
    const std::string bad_text = "+1555141000" + n;
    const std::string bad_queued = "+1555143000" + n;
    const std::string good = "+1555142000" + n;
    const auto refused_reply = store.record_turn(turn("SMbr" + n, bad_reply, "hi", {"boom"}, told));
    REQUIRE_FALSE(refused_reply);
    CHECK_THAT(refused_reply.error().message, Catch::Contains("boom refused"));
    const auto refused_text = store.record_turn(turn("SMbt" + n, bad_text, "boom", {"ok"}, told));
    REQUIRE_FALSE(refused_text);
    CHECK_THAT(refused_text.error().message, Catch::Contains("boom refused"));
    // Replies for the outbox wait for their ids: the refusal comes back
    // there, and the transaction is rolled back without a commit.
    auto queued = turn("SMbq" + n, bad_queued, "boom", {"ok"}, told);
    queued.queue_replies = true;
    const auto refused_queued = store.record_turn(queued);
    REQUIRE_FALSE(refused_queued);
    CHECK_THAT(refused_queued.error().message, Catch::Contains("boom refused"));
    REQUIRE(store.record_turn(turn("SMg" + n, good, "hi", {"hello", "again"}, told)));

    for (const auto& [sid, number] : {std::pair{"SMbr" + n, bad_reply}, {"SMbt" + n, bad_text},
                                      {"SMbq" + n, bad_queued}}) {
      INFO(number);
      CHECK(store.messages(number)->empty());
      CHECK_FALSE(store.processed_replies(sid)->has_value());
      CHECK(store.load_texter(number)->goal.empty());
      CHECK(store.outbox(number)->empty());
    }
    CHECK(store.messages(good)->size() == 3);
    CHECK(store.load_texter(good)->goal == "build_muscle");
    CHECK(store.processed_replies("SMg" + n)->has_value());
  }
}

TEST_CASE("a second process on the SQLite file (the CLI beside a server) does not lock the first out",
          "[sqlite]") {
  test::TestDatabase db;
  auto server = db.open();
  auto cli = db.open();
  REQUIRE(server->record_turn(turn("SM1", "+15551230001", "hi", {"hello"})));
  // Reads that stop on their row must not keep a snapshot open: the other
  // process writes meanwhile, and the first must still be able to write.
  REQUIRE(server->processed_replies("SM1")->has_value());
  REQUIRE(server->load_texter("+15551230001"));
  REQUIRE(cli->forget("+15551230002"));
  REQUIRE(cli->record_turn(turn("SM2", "+15551230002", "hi", {"hello"})));
  auto after = server->record_turn(turn("SM3", "+15551230001", "again", {"hello again"}));
  INFO((after ? "" : after.error().message));
  CHECK(after);
  CHECK(server->messages("+15551230002")->size() == 2);
}

TEST_CASE("processes opening a new SQLite file at the same moment migrate it once", "[sqlite]") {
  test::TestDatabase db;
  std::vector<std::thread> starting;
  std::atomic<int> opened{0};
  std::vector<std::string> errors(4);
  for (int i = 0; i < 4; ++i) {
    starting.emplace_back([&, i] {
      try {
        if (db.open()) ++opened;
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(i)] = e.what();
      }
    });
  }
  for (auto& t : starting) t.join();
  for (const auto& e : errors) {
    INFO(e);
    CHECK(e.empty());
  }
  CHECK(opened == 4);
}

TEST_CASE("a turn is on disk when record_turn returns, however many write at once", "[store]") {
  test::TestDatabase db;
  auto store = db.open();
  auto observer = db.open();  // another connection: sees committed data only
  constexpr int kThreads = 12;
  constexpr int kTurns = 40;
  std::vector<std::thread> writers;
  std::atomic<int> acknowledged{0};
  std::atomic<int> unseen{0};
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kTurns; ++i) {
        const std::string sid = "SMw" + std::to_string(t) + "x" + std::to_string(i);
        const std::string number = "+1555" + std::to_string(2000000 + t * 1000 + i);
        if (!store->record_turn(turn(sid, number, "hi", {"hello"}))) continue;
        ++acknowledged;
        auto seen = observer->processed_replies(sid);
        if (!seen || !seen->has_value()) ++unseen;
      }
    });
  }
  for (auto& w : writers) w.join();
  CHECK(acknowledged == kThreads * kTurns);
  CHECK(unseen == 0);
}

TEST_CASE("a staff change waits for a turn under way and is not overwritten by it", "[store]") {
  test::TestDatabase db;
  auto store = db.open();
  const std::string number = "+15551240001";
  REQUIRE(store->record_turn(turn("SM1", number, "hi", {"hello"})));

  auto session = store->begin_turn(number);
  REQUIRE(session);
  auto state = (*session)->load_texter();
  REQUIRE(state);
  REQUIRE(state->mode == Mode::bot);
  std::atomic<bool> taken{false};
  std::thread staff([&] { taken = store->take_over(number, "operator:alice", 1'700'000'000'500).has_value(); });
  // The turn holds the texter from its load to its write.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK_FALSE(taken);
  REQUIRE((*session)->record_turn(turn("SM2", number, "more", {"sure"}, *state)));
  session->reset();
  staff.join();
  CHECK(taken);
  CHECK(store->load_texter(number)->mode == Mode::human);
}

TEST_CASE("search finds new messages, and none of an erased texter whose ids were taken again", "[store]") {
  test::FreshStore store;
  ConversationQuery q;
  REQUIRE(store->record_turn(turn("SM1", "+15551250001", "creatine question", {"answer one"})));
  q.text = "creatine";
  REQUIRE(store->list_conversations(q)->conversations.size() == 1);
  // The newest messages go; the next ones may be given the same ids.
  REQUIRE(store->forget("+15551250001"));
  REQUIRE(store->record_turn(turn("SM2", "+15551250002", "caffeine please", {"answer two"})));
  CHECK(store->list_conversations(q)->conversations.empty());
  q.text = "caffeine";
  auto found = store->list_conversations(q);
  REQUIRE(found);
  REQUIRE(found->conversations.size() == 1);
  CHECK(found->conversations[0].number == "+15551250002");
  // Many commits later (indexing runs in batches of them) all are found.
  for (int i = 0; i < 40; ++i) {
    const std::string n = std::to_string(i);
    REQUIRE(store->record_turn(turn("SMb" + n, "+1555126" + std::string(4 - n.size(), '0') + n,
                                    "magnesium " + n, {"ok"})));
  }
  q.text = "magnesium";
  q.limit = 100;
  CHECK(store->list_conversations(q)->conversations.size() == 40);
}

TEST_CASE("a search index that is lost, or ahead of its database, is built again", "[sqlite]") {
  test::TempDir dir;
  const auto path = dir.path() / "search.db";
  const auto index = path.string() + "-search";
  const auto found = [](SqliteStore& store, const std::string& text) {
    ConversationQuery q;
    q.text = text;
    auto page = store.list_conversations(q);
    REQUIRE(page);
    std::vector<std::string> numbers;
    for (const auto& c : page->conversations) numbers.push_back(c.number);
    return numbers;
  };
  {
    SqliteStore store(path);
    REQUIRE(store.record_turn(turn("SM1", "+15551270001", "creatine question", {"answer"})));
    CHECK(found(store, "creatine") == std::vector<std::string>{"+15551270001"});
  }
  REQUIRE(std::filesystem::exists(index));
  const auto copy = dir.path() / "copy.db";
  std::filesystem::copy_file(path, copy);
  // Deleted: the next start indexes every message again.
  std::filesystem::remove(index);
  {
    SqliteStore store(path);
    CHECK(found(store, "creatine") == std::vector<std::string>{"+15551270001"});
    REQUIRE(store.record_turn(turn("SM2", "+15551270002", "caffeine question", {"answer"})));
    CHECK(found(store, "caffeine") == std::vector<std::string>{"+15551270002"});
  }
  // The database as it was before the caffeine turn (a restored copy, or a
  // power cut that took its last commits back), the index still holding
  // it: the caffeine turn's ids go to another texter's messages.
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::copy_file(copy, path, std::filesystem::copy_options::overwrite_existing);
  {
    SqliteStore store(path);
    CHECK(found(store, "caffeine").empty());
    REQUIRE(store.record_turn(turn("SM3", "+15551270003", "magnesium question", {"answer"})));
    CHECK(found(store, "caffeine").empty());
    CHECK(found(store, "magnesium") == std::vector<std::string>{"+15551270003"});
    CHECK(found(store, "question").size() == 2);
  }
}

using test::FlushGate;
using test::gated;

TEST_CASE("the group commit times its commits and flushes and counts the turns it committed",
          "[sqlite]") {
  test::TempDir dir;
  SqliteStore store(dir.path() / "figures.db");
  const auto count = [](const smscoach::HistogramSnapshot& h) {
    std::uint64_t n = 0;
    for (const auto c : h.counts) n += c;
    return n;
  };
  auto before = store.group_commit_figures();
  REQUIRE(before);
  CHECK(before->committed_turns == 0);
  CHECK(count(before->commits) == 0);
  for (int i = 0; i < 5; ++i) {
    const std::string n = std::to_string(i);
    REQUIRE(store.record_turn(turn("SMf" + n, "+155512800" + n, "hi", {"hello"})));
  }
  // A repeat is refused at the write: it commits nothing of its own.
  REQUIRE(store.record_turn(turn("SMf0", "+1555128000", "hi", {"hello"}))->duplicate);
  const auto after = store.group_commit_figures();
  REQUIRE(after);
  CHECK(after->committed_turns == 5);
  // Each turn waited for its own flush here: a batch, a commit and a flush each.
  CHECK(count(after->commits) >= 5);
  CHECK(count(after->flushes) >= 5);
  CHECK(after->commits.sum_ns > 0);
  CHECK(after->flushes.sum_ns > 0);
  CHECK(after->commits.counts.size() == after->commits.bounds_ns.size() + 1);
}

TEST_CASE("a turn is acknowledged only once a WAL flush after its commit returns", "[sqlite]") {
  test::TempDir dir;
  FlushGate gate;
  SqliteStore store(dir.path() / "gated.db", gated(gate));
  std::atomic<bool> acknowledged{false};
  std::thread texter([&] {
    acknowledged = store.record_turn(turn("SM1", "+15551270001", "hi", {"hello"})).has_value();
  });
  gate.await_flush();
  // Committed (another process sees it) but not flushed: not yet answered.
  SqliteStore observer(dir.path() / "gated.db");
  CHECK(observer.processed_replies("SM1")->has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(acknowledged);
  gate.set(true);
  texter.join();
  CHECK(acknowledged);
}

TEST_CASE("a turn is handed to the writer thread: its caller does not wait for the database",
          "[sqlite]") {
  test::TempDir dir;
  const auto path = dir.path() / "writer.db";
  SqliteStore store(path);
  // Another process is writing: the store's writer waits for it.
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  auto session = store.begin_turn("+15551300001");
  REQUIRE(session);
  std::promise<bool> stored;
  auto stored_future = stored.get_future();
  std::atomic<bool> returned{false};
  std::thread caller([&] {
    (*session)->record_turn_then(turn("SM1", "+15551300001", "hi", {"hello"}),
                                 [&](Expected<RecordOutcome> r) { stored.set_value(r.has_value()); });
    returned = true;
  });
  for (int i = 0; i < 200 && !returned; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(returned);
  CHECK(stored_future.wait_for(std::chrono::milliseconds(0)) == std::future_status::timeout);
  CHECK(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(other);
  caller.join();
  CHECK(stored_future.get());
  session->reset();
  CHECK(store.processed_replies("SM1")->has_value());
}

TEST_CASE("a repeated message id is answered only once its first turn is on disk", "[sqlite]") {
  test::TempDir dir;
  FlushGate gate;
  SqliteStore store(dir.path() / "gated.db", gated(gate));
  std::thread first([&] { CHECK(store.record_turn(turn("SM1", "+15551280001", "hi", {"hello"}))); });
  gate.await_flush();
  std::atomic<bool> answered{false};
  std::thread repeat([&] {
    auto replies = store.processed_replies("SM1");
    CHECK((replies && replies->has_value() && **replies == std::vector<std::string>{"hello"}));
    answered = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(answered);
  gate.set(true);
  first.join();
  repeat.join();
  CHECK(answered);
}

namespace {

std::int64_t count_rows(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::int64_t n = -1;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
      n = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return n;
}

}  // namespace

TEST_CASE("a turn that fails part-way is taken back whole, the turns beside it in its batch are "
          "kept",
          "[sqlite]") {
  test::TempDir dir;
  const auto path = dir.path() / "partway.db";
  FlushGate gate;
  auto store = std::make_unique<SqliteStore>(path, gated(gate));
  // A trigger of the test's own fails the reply "boom", written after its
  // turn's message id and inbound text.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db,
                       "CREATE TRIGGER boom BEFORE INSERT ON messages WHEN NEW.body = 'boom' "
                       "BEGIN SELECT RAISE(ABORT, 'boom'); END",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);

  // The first turn's flush is held, so the next three share one open batch.
  std::thread first([&] { CHECK(store->record_turn(turn("SMp1", "+15551310001", "hi", {"a"}))); });
  gate.await_flush();
  std::vector<std::future<bool>> results;
  std::vector<std::unique_ptr<TurnSession>> sessions;
  for (const auto& [sid, number, reply] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"SMp2", "+15551310002", "b"}, {"SMp3", "+15551310003", "boom"},
           {"SMp4", "+15551310004", "d"}}) {
    auto session = store->begin_turn(number);
    REQUIRE(session);
    auto promise = std::make_shared<std::promise<bool>>();
    results.push_back(promise->get_future());
    (*session)->record_turn_then(turn(sid, number, "hello", {reply}),
                                 [promise](Expected<RecordOutcome> r) { promise->set_value(bool(r)); });
    sessions.push_back(std::move(*session));
  }
  // The failing turn is refused at once; the others wait for their flush.
  CHECK_FALSE(results[1].get());
  gate.set(true);
  first.join();
  CHECK(results[0].get());
  CHECK(results[2].get());
  sessions.clear();
  store.reset();

  for (const char* number : {"+15551310001", "+15551310002", "+15551310004"}) {
    INFO(number);
    CHECK(count_rows(path, std::string("SELECT COUNT(*) FROM messages WHERE number = '") + number +
                               "'") == 2);
  }
  CHECK(count_rows(path, "SELECT COUNT(*) FROM messages WHERE number = '+15551310003'") == 0);
  CHECK(count_rows(path, "SELECT COUNT(*) FROM processed_messages WHERE message_sid = 'SMp3'") == 0);
  CHECK(count_rows(path, "SELECT COUNT(*) FROM texters WHERE number = '+15551310003'") == 0);
  CHECK(count_rows(path, "SELECT COUNT(*) FROM processed_messages") == 3);
}

TEST_CASE("a failed WAL flush fails the turns it covered, the next flush serves again",
          "[sqlite]") {
  test::TempDir dir;
  FlushGate gate;
  gate.set(true, true);
  SqliteStore store(dir.path() / "gated.db", gated(gate));
  auto failed = store.record_turn(turn("SM1", "+15551290001", "hi", {"hello"}));
  REQUIRE_FALSE(failed);
  CHECK(failed.error().code == ErrorCode::unavailable);
  gate.set(true, false);
  CHECK(store.record_turn(turn("SM2", "+15551290002", "hi", {"hello"})));
  // The provider sends the first text again: answered once a flush succeeds.
  auto repeat = store.processed_replies("SM1");
  REQUIRE(repeat);
  CHECK(repeat->has_value());
}
