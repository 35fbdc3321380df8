// Black-box faults: the real binary killed with -9 under load and started
// again, a disk that fills up under it, and a disk that turns read-only. What was acknowledged is kept,
// what was queued is sent, what fails gets a 503 (Twilio retries those), and
// the store comes back whole.

#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "dialogue/store/sqlite_store.hpp"
#include "fake_messages_api.hpp"
#include "http_client.hpp"
#include "rest_mode_args.hpp"
#include "eventually.hpp"
#include "server_process.hpp"
#include "support/test_database.hpp"
#include "twilio_signing.hpp"
#include "twiml_reading.hpp"

using namespace smscoach;
using namespace std::chrono_literals;
using test::FakeMessagesApi;
using test::Fields;
using test::HttpClient;
using test::ServerProcess;
using test::eventually;

namespace {

const std::string kAccountSid = "AC0123456789abcdef0123456789abcdef";
const std::string kToken = "fault-test-auth-token-0123456789a";
const std::string kPublicUrl = "https://sms.example.com";

const char* const kTexts[] = {"how much creatine should i take", "im 80kg",
                              "whats a good preworkout", "hi", "is fish oil ok with warfarin",
                              "thanks"};

Fields sms_fields(const std::string& from, const std::string& body, const std::string& sid) {
  return {{"MessageSid", sid}, {"From", from}, {"To", "+15550001111"}, {"Body", body}};
}

test::HttpResult post_signed(HttpClient& http, std::uint16_t port, const Fields& fields) {
  return http.post_form(
      port, "/sms/twilio", fields,
      {{"X-Twilio-Signature",
        test::twilio_signature_for(kToken, kPublicUrl + "/sms/twilio", fields)}});
}

// Generous: these wait on two processes and a loaded machine.
constexpr auto kPatience = 20s;

// Texts from `threads` client threads until `stop`; remembers which
// MessageSids were acknowledged (200).
class Load {
 public:
  Load(std::uint16_t port, int threads, std::string tag) {
    for (int t = 0; t < threads; ++t) {
      clients_.emplace_back([this, port, t, tag] {
        HttpClient http;
        for (int i = 0; !stop_; ++i) {
          const std::string sid = "SM" + tag + std::to_string(t) + "x" + std::to_string(i);
          const std::string from = "+1555" + std::to_string(4000000 + t * 100 + i % 100);
          long status = 0;  // the connection failed: not acknowledged
          try {
            status = post_signed(http, port, sms_fields(from, kTexts[i % 6], sid)).status;
          } catch (const std::exception&) {
            std::this_thread::sleep_for(5ms);
          }
          std::lock_guard lock(mutex_);
          (status == 200 ? acked_ : other_)[sid] = status;
        }
      });
    }
  }
  ~Load() { stop(); }
  void stop() {
    stop_ = true;
    for (auto& c : clients_) {
      if (c.joinable()) c.join();
    }
  }
  std::size_t acked() const {
    std::lock_guard lock(mutex_);
    return acked_.size();
  }
  std::map<std::string, long> acknowledged() const {
    std::lock_guard lock(mutex_);
    return acked_;
  }
  std::map<std::string, long> refused() const {
    std::lock_guard lock(mutex_);
    return other_;
  }

 private:
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::map<std::string, long> acked_;
  std::map<std::string, long> other_;  // status 0: the connection failed
  std::vector<std::thread> clients_;
};

// A small filesystem of its own, so it can be filled; unmounted at the end.
class SmallDisk {
 public:
  SmallDisk(std::filesystem::path where, const std::string& size) : path_(std::move(where)) {
    std::filesystem::create_directories(path_);
    const std::string options = "size=" + size;
    mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  bool mounted_ = false;
};

// An ext4 filesystem in a file, mounted through a loop device with
// errors=remount-ro: trigger_error() makes the kernel turn it read-only
// under whoever is writing, as it does on a disk error. Only repair()
// (unmount, fsck, mount) brings it back, as an operator would. Needs root,
// mkfs.ext4 and a loop device; mounted() says whether it could be made.
class ReadOnlyTurningDisk {
 public:
  explicit ReadOnlyTurningDisk(std::filesystem::path dir)
      : image_(dir / "disk.img"), path_(dir / "disk") {
    std::filesystem::create_directories(path_);
    mounted_ = run("truncate -s 64M " + image_.string()) &&
               run("mkfs.ext4 -q -F " + image_.string()) && mount();
  }
  ~ReadOnlyTurningDisk() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::filesystem::path& path() const { return path_; }

  // What ext4 does on an I/O error: read-only at once, open files or not.
  bool trigger_error() {
    const std::string device = loop_device();
    std::ofstream trigger("/sys/fs/ext4/" + device + "/trigger_fs_error");
    return !device.empty() && (trigger << "1\n").flush().good();
  }
  // Unmount, check and mount again read-write.
  bool repair() {
    mounted_ = false;
    if (!run("umount " + path_.string())) return false;
    // e2fsck exits 1 when it fixed something (the error mark), 0 if nothing.
    const int fsck = std::system(("e2fsck -fy " + image_.string() + " >/dev/null 2>&1").c_str());
    if (fsck == -1 || !WIFEXITED(fsck) || WEXITSTATUS(fsck) > 1) return false;
    mounted_ = mount();
    return mounted_;
  }

 private:
  static bool run(const std::string& command) {
    return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
  }
  bool mount() {
    return run("mount -o loop,errors=remount-ro " + image_.string() + " " + path_.string());
  }
  std::string loop_device() const {
    std::string device;
    FILE* out = ::popen(("findmnt -n -o SOURCE " + path_.string()).c_str(), "r");
    if (!out) return device;
    char line[256];
    if (std::fgets(line, sizeof line, out)) device = line;
    ::pclose(out);
    while (!device.empty() && (device.back() == '\n' || device.back() == ' ')) device.pop_back();
    const auto slash = device.rfind('/');
    return slash == std::string::npos ? device : device.substr(slash + 1);
  }

  std::filesystem::path image_;
  std::filesystem::path path_;
  bool mounted_ = false;
};

std::string integrity(const std::filesystem::path& db_path) {
  sqlite3* db = nullptr;
  std::string result = "cannot open";
  if (sqlite3_open(db_path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
      result = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return result;
}

}  // namespace

TEST_CASE("kill -9 under load, then a restart: every acknowledged text is kept and every reply "
          "it queued is sent") {
  test::TestDatabase db;
  FakeMessagesApi api(kAccountSid, kToken);
  // Short leases: on a shared store nobody releases the dead process's claims.
  const auto args = test::rest_mode_args(
      db.url(), api.base_url(), {kAccountSid, kToken, kPublicUrl},
      {"--outbox-timeout-ms", "1000", "--outbox-lease-ms", "2000", "--rate-limit", "0"});
  std::map<std::string, long> acknowledged;
  {
    ServerProcess server(SMSCOACH_BINARY, args);
    Load load(server.port(), 4, "kill");
    REQUIRE(eventually([&] { return load.acked() >= 200; }, kPatience));
    server.kill9();
    load.stop();
    acknowledged = load.acknowledged();
  }
  INFO("acknowledged before the kill: " << acknowledged.size());

  ServerProcess restarted(SMSCOACH_BINARY, args);
  auto opened = db.open();
  dialogue::Store& store = *opened;
  // Every acknowledged text is stored, with the replies it was answered with.
  std::set<std::string> numbers;
  std::size_t missing = 0;
  for (const auto& [sid, status] : acknowledged) {
    auto replies = store.processed_replies(sid);
    REQUIRE(replies);
    if (!replies->has_value()) ++missing;
  }
  CHECK(missing == 0);

  // Every reply queued goes out: nothing left waiting once the leases of
  // the dead process have run out.
  for (int t = 0; t < 4; ++t) {
    for (int i = 0; i < 100; ++i) numbers.insert("+1555" + std::to_string(4000000 + t * 100 + i));
  }
  std::size_t rows = 0;
  const bool drained = eventually(
      [&] {
        rows = 0;
        for (const auto& number : numbers) {
          auto outbox = store.outbox(number);
          if (!outbox) return false;
          for (const auto& row : *outbox) {
            ++rows;
            if (row.status != "sent") return false;
          }
        }
        return true;
      },
      30s);
  CHECK(drained);
  CHECK(rows >= acknowledged.size());
  // The provider accepted each row that says sent (a send cut off by the
  // kill may have gone twice: at-least-once, see README).
  std::set<std::string> accepted_sids;
  for (const auto& request : api.accepted()) accepted_sids.insert(request.sid);
  std::size_t unaccounted = 0;
  for (const auto& number : numbers) {
    const auto outbox = store.outbox(number);
    REQUIRE(outbox);
    for (const auto& row : *outbox) unaccounted += accepted_sids.count(row.provider_sid) == 0;
  }
  CHECK(unaccounted == 0);
}

TEST_CASE("a full disk gives 503s, keeps what it acknowledged, and recovers whole", "[sqlite]") {
  test::TestDatabase db;
  SmallDisk disk(db.dir() / "disk", "6m");
  if (!disk.mounted()) {
    WARN("cannot mount a tmpfs here (needs root): full-disk test skipped");
    return;
  }
  const auto db_path = disk.path() / "smscoach.db";
  ServerProcess server(SMSCOACH_BINARY,
                       {"serve", "--listen", "127.0.0.1:0", "--db", db_path.string(),
                        "--twilio-auth-token", kToken, "--public-url", kPublicUrl,
                        "--rate-limit", "0"});
  HttpClient http;
  std::set<std::string> acknowledged;
  int n = 0;
  const auto text = [&](const std::string& body) {
    const std::string sid = "SMdisk" + std::to_string(++n);
    const auto r = post_signed(http, server.port(), sms_fields("+15557770100", body, sid));
    if (r.status == 200) acknowledged.insert(sid);
    return r;
  };
  REQUIRE(text("how much creatine should i take").status == 200);

  // Fill the disk to the last byte.
  {
    std::ofstream filler(disk.path() / "filler", std::ios::binary);
    const std::string block(64 * 1024, 'x');
    while (filler.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
  }
  {
    std::ofstream filler(disk.path() / "filler-tail", std::ios::binary);
    while (filler.put('x')) {
    }
  }
  // Texts keep coming; once SQLite cannot grow its log they get 503s.
  long refused_status = 0;
  for (int i = 0; i < 400 && refused_status == 0; ++i) {
    const auto r = text(std::string(kTexts[i % 6]) + " " + std::string(200, 'a' + i % 26));
    if (r.status != 200) refused_status = r.status;
  }
  CHECK(refused_status == 503);
  CHECK(http.get(server.port(), "/healthz").status == 200);  // still serving

  // Space again: texts are taken again, with no restart.
  std::filesystem::remove(disk.path() / "filler");
  std::filesystem::remove(disk.path() / "filler-tail");
  REQUIRE(eventually([&] { return text("hi again").status == 200; }, 10s));
  REQUIRE(text("thanks").status == 200);
  CHECK(server.stop() == 0);

  CHECK(integrity(db_path) == "ok");
  dialogue::SqliteStore store(db_path);
  std::size_t missing = 0;
  for (const auto& sid : acknowledged) missing += !store.processed_replies(sid)->has_value();
  CHECK(missing == 0);
  CHECK(acknowledged.size() >= 3);
}

TEST_CASE("a disk turned read-only gives 503s, keeps what it acknowledged, and serves again "
          "once repaired",
          "[sqlite]") {
  test::TestDatabase db;
  ReadOnlyTurningDisk disk(db.dir());
  if (!disk.mounted()) {
    WARN("cannot make a loop-mounted ext4 here (needs root): read-only disk test skipped");
    return;
  }
  const auto db_path = disk.path() / "smscoach.db";
  const std::vector<std::string> args = {"serve",           "--listen",
                                         "127.0.0.1:0",     "--db",
                                         db_path.string(),  "--twilio-auth-token",
                                         kToken,            "--public-url",
                                         kPublicUrl,        "--rate-limit",
                                         "0"};
  HttpClient http;
  std::set<std::string> acknowledged;
  int n = 0;
  const auto text = [&](ServerProcess& server, const std::string& body) {
    const std::string sid = "SMro" + std::to_string(++n);
    const auto r = post_signed(http, server.port(), sms_fields("+15557770200", body, sid));
    if (r.status == 200) acknowledged.insert(sid);
    return r;
  };
  {
    ServerProcess server(SMSCOACH_BINARY, args);
    for (int i = 0; i < 5; ++i) REQUIRE(text(server, kTexts[i]).status == 200);

    REQUIRE(disk.trigger_error());
    // Every text from now on is refused with a 503 (the provider retries),
    // none acknowledged, and the server stays up.
    std::set<long> statuses;
    for (int i = 0; i < 20; ++i) statuses.insert(text(server, kTexts[i % 6]).status);
    CHECK(statuses == std::set<long>{503});
    CHECK(http.get(server.port(), "/healthz").status == 200);
    const int stopped = server.stop();
    CHECK(stopped < 128);  // ended, not killed by a signal
  }

  REQUIRE(disk.repair());
  CHECK(integrity(db_path) == "ok");
  ServerProcess server(SMSCOACH_BINARY, args);
  REQUIRE(text(server, "hi again").status == 200);
  CHECK(server.stop() == 0);
  dialogue::SqliteStore store(db_path);
  std::size_t missing = 0;
  for (const auto& sid : acknowledged) missing += !store.processed_replies(sid)->has_value();
  CHECK(missing == 0);
  CHECK(acknowledged.size() == 6);
}
