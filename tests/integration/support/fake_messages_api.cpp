#include "fake_messages_api.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <iterator>
#include <list>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#include "gateway/form.hpp"

namespace smscoach::test {

namespace {

using Json = nlohmann::ordered_json;  // keeps Twilio's field order, for readable bodies

// Every poll() also watches the wake pipe, so stopping is immediate; the
// timeout only guards against a wake-up lost to a bug.
constexpr int kPollTimeoutMs = 100;
constexpr std::size_t kMaxHeadBytes = 64 * 1024;
constexpr std::size_t kMaxBodyBytes = 1024 * 1024;
constexpr std::string_view kMessagesPrefix = "/2010-04-01/Accounts/";
constexpr std::string_view kMessagesSuffix = "/Messages.json";

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd = -1) : fd_(fd) {}
  ~FileDescriptor() { reset(); }
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::runtime_error("FakeMessagesApi: " + what + ": " + std::strerror(errno));
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    // MSG_NOSIGNAL: a client that hung up mid-delay must not SIGPIPE the test binary.
    const ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(sent));
  }
  return true;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) { return to_lower(a) == to_lower(b); }

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Whether a comma-separated header value (Connection, Expect) holds `token`.
bool has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    if (iequals(trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

std::string base64(std::string_view input) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((input.size() + 2) / 3 * 4);
  const auto byte = [&](std::size_t i) -> std::uint32_t {
    return i < input.size() ? static_cast<unsigned char>(input[i]) : 0;
  };
  for (std::size_t i = 0; i < input.size(); i += 3) {
    const std::uint32_t group = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += kAlphabet[group >> 18 & 63];
    out += kAlphabet[group >> 12 & 63];
    out += i + 1 < input.size() ? kAlphabet[group >> 6 & 63] : '=';
    out += i + 2 < input.size() ? kAlphabet[group & 63] : '=';
  }
  return out;
}

// Twilio's date format: "Fri, 31 Oct 2014 03:39:29 +0000". Spelled out rather
// than strftime("%a") so that a locale cannot change it.
std::string rfc2822_now() {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[64];
  const int length = std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d +0000",
                                   kDays[utc.tm_wday], utc.tm_mday, kMonths[utc.tm_mon],
                                   utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
  return std::string(text, static_cast<std::size_t>(std::max(length, 0)));
}

const char* reason_phrase(int status) {
  static const std::map<int, const char*> kPhrases = {
      {200, "OK"},
      {201, "Created"},
      {202, "Accepted"},
      {400, "Bad Request"},
      {401, "Unauthorized"},
      {403, "Forbidden"},
      {404, "Not Found"},
      {405, "Method Not Allowed"},
      {408, "Request Timeout"},
      {411, "Length Required"},
      {413, "Payload Too Large"},
      {429, "Too Many Requests"},
      {431, "Request Header Fields Too Large"},
      {500, "Internal Server Error"},
      {501, "Not Implemented"},
      {502, "Bad Gateway"},
      {503, "Service Unavailable"},
      {504, "Gateway Timeout"},
  };
  const auto it = kPhrases.find(status);
  return it != kPhrases.end() ? it->second : "Unknown";
}

// The code Twilio sends with a status when a plan names none; 0 when there is
// no single usual one.
int usual_error_code(int status) {
  if (status == 401) return 20003;
  if (status == 404) return 20404;
  if (status == 429) return 20429;
  if (status >= 500) return 20500;
  return 0;
}

// Twilio's wording for the codes the bot handles (sms-protocol.md 5.5).
std::string twilio_message(int code, int status) {
  static const std::map<int, const char*> kMessages = {
      {20003, "Authenticate"},
      {20404, "The requested resource was not found"},
      {20429, "Too Many Requests"},
      {20500, "An internal server error has occurred"},
      {21211, "The 'To' number is not a valid phone number."},
      {21602, "Message body is required."},
      {21603, "A 'From' phone number is required."},
      {21604, "A 'To' phone number is required."},
      {21610, "Attempt to send to unsubscribed recipient"},
      {21611, "This 'From' number has exceeded the maximum number of queued messages"},
      {21614, "'To' number is not a valid mobile number"},
  };
  const auto it = kMessages.find(code);
  return it != kMessages.end() ? it->second : reason_phrase(status);
}

// Invalid UTF-8 (a raw byte in a path, say) becomes U+FFFD instead of an exception.
std::string to_text(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

struct HttpRequest {
  std::string method;
  std::string target;
  std::string version;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;

  const std::string* header(std::string_view lowercase_name) const {
    for (const auto& [name, value] : headers) {
      if (name == lowercase_name) return &value;
    }
    return nullptr;
  }

  // HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 closes
  // unless told to keep it.
  bool wants_close() const {
    const std::string* connection = header("connection");
    if (version == "HTTP/1.0")
      return connection == nullptr || !has_token(*connection, "keep-alive");
    return connection != nullptr && has_token(*connection, "close");
  }
};

struct HttpResponse {
  int status = 200;
  std::string body;  // always JSON
  std::vector<std::pair<std::string, std::string>> extra_headers;
};

std::string serialize(const HttpResponse& response, bool close_connection) {
  std::string out =
      "HTTP/1.1 " + std::to_string(response.status) + " " + reason_phrase(response.status) + "\r\n";
  out += "Content-Type: application/json\r\n";
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  out += close_connection ? "Connection: close\r\n" : "Connection: keep-alive\r\n";
  for (const auto& [name, value] : response.extra_headers) out += name + ": " + value + "\r\n";
  out += "\r\n";
  out += response.body;
  return out;
}

// Twilio's error body: {"code", "message", "more_info", "status"}. A code of
// 0 (none known) is sent as null, as is its more_info.
HttpResponse twilio_error(int status, int code, std::string message = {}) {
  if (message.empty()) message = twilio_message(code, status);
  Json body;
  body["code"] = code != 0 ? Json(code) : Json(nullptr);
  body["message"] = message;
  body["more_info"] = code != 0 ? Json("https://www.twilio.com/docs/errors/" + std::to_string(code))
                                : Json(nullptr);
  body["status"] = status;
  HttpResponse response{status, to_text(body), {}};
  if (status == 401)
    response.extra_headers.emplace_back("WWW-Authenticate", "Basic realm=\"Twilio API\"");
  return response;
}

HttpResponse control_error(int status, const std::string& message) {
  return {status, to_text(Json{{"error", message}}), {}};
}

// The AccountSid of a Messages path; nullopt when `path` is not one.
std::optional<std::string> messages_path_account_sid(std::string_view path) {
  if (path.size() <= kMessagesPrefix.size() + kMessagesSuffix.size() ||
      path.substr(0, kMessagesPrefix.size()) != kMessagesPrefix ||
      path.substr(path.size() - kMessagesSuffix.size()) != kMessagesSuffix) {
    return std::nullopt;
  }
  const std::string_view account_sid = path.substr(
      kMessagesPrefix.size(), path.size() - kMessagesPrefix.size() - kMessagesSuffix.size());
  if (account_sid.find('/') != std::string_view::npos) return std::nullopt;
  return std::string(account_sid);
}

const std::string* find_field(const std::map<std::string, std::string>& form,
                              const std::string& name) {
  const auto it = form.find(name);
  return it == form.end() ? nullptr : &it->second;
}

bool has_nonempty_field(const std::map<std::string, std::string>& form, const std::string& name) {
  const std::string* value = find_field(form, name);
  return value != nullptr && !value->empty();
}

Json field_or_null(const std::map<std::string, std::string>& form, const std::string& name) {
  const std::string* value = find_field(form, name);
  return value != nullptr ? Json(*value) : Json(nullptr);
}

// What to answer a Messages request, decided when it arrives.
struct Decision {
  int status = 201;
  int error_code = 0;
  std::string message;  // empty: Twilio's wording for error_code
  std::chrono::milliseconds delay{0};
};

// Twilio's checks for a request no plan covers: a recipient, a sender (From
// or a Messaging Service) and content (Body, media or a template).
Decision validate(const std::map<std::string, std::string>& form) {
  if (!has_nonempty_field(form, "To")) return {400, 21604, {}, {}};
  if (!has_nonempty_field(form, "From") && !has_nonempty_field(form, "MessagingServiceSid")) {
    return {400, 21603, {}, {}};
  }
  if (!has_nonempty_field(form, "Body") && !has_nonempty_field(form, "MediaUrl") &&
      !has_nonempty_field(form, "ContentSid")) {
    return {400, 21602, {}, {}};
  }
  return {};
}

void check_reply(const FakeReply& reply) {
  if (reply.status < 200 || reply.status > 599) {
    throw std::invalid_argument("FakeReply status must be 200..599, not " +
                                std::to_string(reply.status));
  }
  if (reply.delay.count() < 0) throw std::invalid_argument("FakeReply delay must not be negative");
}

}  // namespace

struct FakeMessagesApi::Impl {
  Impl(std::string account_sid_in, const std::string& auth_token, std::uint16_t requested_port);
  ~Impl();

  void accept_connections();
  void reap_finished_connections();
  void serve_connection(FileDescriptor socket);

  enum class ReadOutcome { request, connection_over, malformed };
  struct ReadResult {
    ReadOutcome outcome;
    int error_status = 0;  // for malformed
  };
  ReadResult read_request(int fd, std::string& buffer, HttpRequest& request);
  bool receive_more(int fd, std::string& buffer);
  bool wait_until_readable(int fd);
  bool sleep_unless_stopping(std::chrono::milliseconds delay);

  // nullopt: the fake is stopping and the request goes unanswered.
  std::optional<HttpResponse> respond(const HttpRequest& request);
  std::optional<HttpResponse> respond_to_message(const HttpRequest& request,
                                                 const std::string& path,
                                                 const std::string& path_account_sid);
  Json message_resource(const std::map<std::string, std::string>& form, const std::string& sid);
  HttpResponse list_requests_as_json() const;
  HttpResponse plan_from_json(const std::string& body);
  void set_plan(const std::string& to, std::vector<FakeReply> replies);

  bool authorized(const std::string& path_account_sid, const std::string* authorization) const;
  std::string next_message_sid();      // under `mutex`
  std::size_t accepted_count() const;  // under `mutex`

  const std::string account_sid;
  const std::string expected_credentials;  // base64(account_sid:auth_token)
  const std::string sid_prefix;            // 16 random hex digits, so fakes' sids differ too
  FileDescriptor listener;
  FileDescriptor wake_read;  // readable once stopping; never drained
  FileDescriptor wake_write;
  std::uint16_t port = 0;
  std::atomic<bool> stopping{false};
  std::atomic<bool> control_endpoints{false};

  mutable std::mutex mutex;  // guards everything below it but the threads
  mutable std::condition_variable accepted_changed;
  std::vector<FakeRequest> received;
  std::map<std::string, std::deque<FakeReply>> plans;
  std::uint64_t messages_created = 0;

  // Only the acceptor thread touches the list while running; the destructor
  // after joining it. List nodes stay put, so a thread may hold its own.
  struct Connection {
    std::thread thread;
    std::atomic<bool> finished{false};
  };
  std::list<Connection> connections;
  std::thread acceptor;
};

namespace {

std::string random_hex16() {
  std::random_device device;
  const std::uint64_t bits = static_cast<std::uint64_t>(device()) << 32 | device();
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(bits));
  return text;
}

}  // namespace

FakeMessagesApi::Impl::Impl(std::string account_sid_in, const std::string& auth_token,
                            std::uint16_t requested_port)
    : account_sid(std::move(account_sid_in)),
      expected_credentials(base64(account_sid + ":" + auth_token)),
      sid_prefix(random_hex16()) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw_errno("pipe2");
  wake_read = FileDescriptor(pipe_fds[0]);
  wake_write = FileDescriptor(pipe_fds[1]);

  listener = FileDescriptor(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listener.get() < 0) throw_errno("socket");
  const int on = 1;
  // A fixed --port must be reusable right after a previous run's TIME_WAIT.
  ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(requested_port);
  if (::bind(listener.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    throw_errno("bind 127.0.0.1:" + std::to_string(requested_port));
  }
  if (::listen(listener.get(), SOMAXCONN) != 0) throw_errno("listen");
  socklen_t length = sizeof address;
  if (::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw_errno("getsockname");
  }
  port = ntohs(address.sin_port);
  acceptor = std::thread([this] { accept_connections(); });
}

FakeMessagesApi::Impl::~Impl() {
  stopping = true;
  const char byte = 1;
  if (::write(wake_write.get(), &byte, 1) < 0) {
    // Nothing to do: every poll() times out within kPollTimeoutMs anyway.
  }
  if (acceptor.joinable()) acceptor.join();
  for (Connection& connection : connections) {
    if (connection.thread.joinable()) connection.thread.join();
  }
}

void FakeMessagesApi::Impl::accept_connections() {
  while (!stopping) {
    pollfd fds[2] = {{listener.get(), POLLIN, 0}, {wake_read.get(), POLLIN, 0}};
    const int ready = ::poll(fds, 2, kPollTimeoutMs);
    if (stopping) break;
    reap_finished_connections();
    if (ready <= 0 || (fds[0].revents & POLLIN) == 0) continue;

    FileDescriptor socket(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (socket.get() < 0) {
      // EMFILE and the like would repeat at once: back off instead of spinning.
      if (errno != EINTR && errno != ECONNABORTED)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    Connection& connection = connections.emplace_back();
    try {
      connection.thread = std::thread([this, &connection, socket = std::move(socket)]() mutable {
        try {
          serve_connection(std::move(socket));
        } catch (...) {
          // A fake that dies takes the test binary with it; dropping the
          // connection shows up in the test instead.
        }
        connection.finished = true;
      });
    } catch (const std::system_error&) {
      connections.pop_back();  // no thread for it: the socket closed with the lambda
    }
  }
}

void FakeMessagesApi::Impl::reap_finished_connections() {
  for (auto it = connections.begin(); it != connections.end();) {
    if (it->finished) {
      it->thread.join();
      it = connections.erase(it);
    } else {
      ++it;
    }
  }
}

bool FakeMessagesApi::Impl::wait_until_readable(int fd) {
  while (!stopping) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_read.get(), POLLIN, 0}};
    const int ready = ::poll(fds, 2, kPollTimeoutMs);
    if (stopping) return false;
    if (ready > 0 && fds[0].revents != 0) return true;  // data, EOF or error: recv() tells which
    if (ready < 0 && errno != EINTR) return false;
  }
  return false;
}

bool FakeMessagesApi::Impl::receive_more(int fd, std::string& buffer) {
  while (wait_until_readable(fd)) {
    char chunk[16 * 1024];
    const ssize_t received_bytes = ::recv(fd, chunk, sizeof chunk, 0);
    if (received_bytes > 0) {
      buffer.append(chunk, static_cast<std::size_t>(received_bytes));
      return true;
    }
    if (received_bytes == 0 || errno != EINTR) return false;
  }
  return false;
}

bool FakeMessagesApi::Impl::sleep_unless_stopping(std::chrono::milliseconds delay) {
  const auto deadline = std::chrono::steady_clock::now() + delay;
  while (!stopping) {
    const auto remaining =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (remaining.count() <= 0) return true;
    pollfd wake{wake_read.get(), POLLIN, 0};
    ::poll(&wake, 1, static_cast<int>(std::min<std::int64_t>(remaining.count(), kPollTimeoutMs)));
  }
  return false;
}

FakeMessagesApi::Impl::ReadResult FakeMessagesApi::Impl::read_request(int fd, std::string& buffer,
                                                                      HttpRequest& request) {
  std::size_t head_end;
  while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
    if (buffer.size() > kMaxHeadBytes) return {ReadOutcome::malformed, 431};
    if (!receive_more(fd, buffer)) return {ReadOutcome::connection_over};
  }
  const std::string head = buffer.substr(0, head_end);
  buffer.erase(0, head_end + 4);

  std::size_t line_end = head.find("\r\n");
  const std::string_view request_line = std::string_view(head).substr(0, line_end);
  const std::size_t first_space = request_line.find(' ');
  const std::size_t last_space = request_line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == last_space) {
    return {ReadOutcome::malformed, 400};
  }
  request.method = request_line.substr(0, first_space);
  request.target = request_line.substr(first_space + 1, last_space - first_space - 1);
  request.version = request_line.substr(last_space + 1);
  if (request.version != "HTTP/1.1" && request.version != "HTTP/1.0") {
    return {ReadOutcome::malformed, 400};
  }

  while (line_end != std::string::npos) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string_view line = std::string_view(head).substr(
        start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return {ReadOutcome::malformed, 400};
    request.headers.emplace_back(to_lower(line.substr(0, colon)),
                                 std::string(trim(line.substr(colon + 1))));
  }

  // libcurl sends Content-Length for the bodies it knows in advance, which
  // is all a Messages client sends; chunked uploads are out of scope.
  if (request.header("transfer-encoding") != nullptr) return {ReadOutcome::malformed, 501};
  std::size_t content_length = 0;
  if (const std::string* value = request.header("content-length")) {
    if (value->empty() || value->size() > 9 ||
        !std::all_of(value->begin(), value->end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      return {ReadOutcome::malformed, 400};
    }
    content_length = std::stoul(*value);
  }
  if (content_length > kMaxBodyBytes) return {ReadOutcome::malformed, 413};

  // libcurl may hold the body back until told to go on (for up to a second).
  const std::string* expect = request.header("expect");
  if (expect != nullptr && has_token(*expect, "100-continue") && request.version == "HTTP/1.1" &&
      buffer.size() < content_length) {
    if (!send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n")) return {ReadOutcome::connection_over};
  }
  while (buffer.size() < content_length) {
    if (!receive_more(fd, buffer)) return {ReadOutcome::connection_over};
  }
  request.body = buffer.substr(0, content_length);
  buffer.erase(0, content_length);  // what remains belongs to the next (pipelined) request
  return {ReadOutcome::request};
}

void FakeMessagesApi::Impl::serve_connection(FileDescriptor socket) {
  std::string buffer;
  while (!stopping) {
    HttpRequest request;
    const ReadResult read = read_request(socket.get(), buffer, request);
    if (read.outcome == ReadOutcome::connection_over) return;
    if (read.outcome == ReadOutcome::malformed) {
      // The stream's framing is lost: answer and close.
      send_all(socket.get(), serialize(twilio_error(read.error_status, 0), true));
      return;
    }
    const bool close_after = request.wants_close();
    const std::optional<HttpResponse> response = respond(request);
    if (!response) return;
    if (!send_all(socket.get(), serialize(*response, close_after)) || close_after) return;
  }
}

std::optional<HttpResponse> FakeMessagesApi::Impl::respond(const HttpRequest& request) {
  const std::string path = request.target.substr(0, request.target.find('?'));
  if (control_endpoints) {
    if (request.method == "GET" && path == "/fake/requests") return list_requests_as_json();
    if (request.method == "POST" && path == "/fake/plan") return plan_from_json(request.body);
  }
  if (request.method == "POST") {
    if (const auto path_account_sid = messages_path_account_sid(path)) {
      return respond_to_message(request, path, *path_account_sid);
    }
  }
  return twilio_error(404, 20404, "The requested resource " + path + " was not found");
}

bool FakeMessagesApi::Impl::authorized(const std::string& path_account_sid,
                                       const std::string* authorization) const {
  if (path_account_sid != account_sid || authorization == nullptr) return false;
  const std::string_view value = *authorization;
  const std::size_t space = value.find(' ');
  if (space == std::string_view::npos) return false;
  return iequals(value.substr(0, space), "Basic") &&
         trim(value.substr(space + 1)) == expected_credentials;
}

std::optional<HttpResponse> FakeMessagesApi::Impl::respond_to_message(
    const HttpRequest& request, const std::string& path, const std::string& path_account_sid) {
  FakeRequest record;
  record.path = path;
  const std::string* authorization = request.header("authorization");
  if (authorization != nullptr) record.authorization = *authorization;
  const auto parsed = gateway::parse_form(request.body);
  if (parsed) {
    for (const auto& [name, value] : parsed->fields) record.form.emplace(name, value);
  }

  Decision decision;
  std::size_t index;
  {
    const std::lock_guard lock(mutex);
    if (!authorized(path_account_sid, authorization)) {
      decision = {401, 20003, {}, {}};
    } else if (!parsed) {
      decision = {400, 0, "Malformed form body: " + parsed.error().message, {}};
    } else if (const std::string* to = find_field(record.form, "To");
               to != nullptr && plans.count(*to) != 0) {
      auto& replies = plans[*to];
      const FakeReply reply = replies.front();
      replies.pop_front();
      if (replies.empty()) plans.erase(*to);
      decision = {reply.status,
                  reply.status >= 400 && reply.error_code == 0 ? usual_error_code(reply.status)
                                                               : reply.error_code,
                  {},
                  reply.delay};
    } else {
      decision = validate(record.form);
    }
    // Recorded on arrival, so the order is the order of arrival even when
    // answers are delayed.
    index = received.size();
    received.push_back(record);
  }

  if (decision.delay.count() > 0 && !sleep_unless_stopping(decision.delay)) return std::nullopt;

  HttpResponse response;
  std::string sid;
  if (decision.status < 400) {
    {
      const std::lock_guard lock(mutex);
      sid = next_message_sid();
    }
    response = {decision.status, to_text(message_resource(record.form, sid)), {}};
  } else {
    response = twilio_error(decision.status, decision.error_code, decision.message);
  }
  {
    const std::lock_guard lock(mutex);
    received[index].answered_status = decision.status;
    received[index].sid = sid;
  }
  accepted_changed.notify_all();
  return response;
}

// The fields of Twilio's MessageResource (sms-protocol.md 5.2).
Json FakeMessagesApi::Impl::message_resource(const std::map<std::string, std::string>& form,
                                             const std::string& sid) {
  const std::string date = rfc2822_now();
  const std::string uri = std::string(kMessagesPrefix) + account_sid + "/Messages/" + sid + ".json";
  // Through a Messaging Service, Twilio answers "accepted" and counts segments later.
  const bool via_messaging_service = has_nonempty_field(form, "MessagingServiceSid");
  Json body;
  body["sid"] = sid;
  body["date_created"] = date;
  body["date_updated"] = date;
  body["date_sent"] = nullptr;
  body["account_sid"] = account_sid;
  body["to"] = field_or_null(form, "To");
  body["from"] = field_or_null(form, "From");
  body["messaging_service_sid"] = field_or_null(form, "MessagingServiceSid");
  body["body"] = field_or_null(form, "Body");
  body["status"] = via_messaging_service ? "accepted" : "queued";
  body["num_segments"] = via_messaging_service ? "0" : "1";
  body["num_media"] = "0";
  body["direction"] = "outbound-api";
  body["api_version"] = "2010-04-01";
  body["price"] = nullptr;
  body["price_unit"] = "USD";
  body["error_code"] = nullptr;
  body["error_message"] = nullptr;
  body["uri"] = uri;
  body["subresource_uris"] = {
      {"media", std::string(kMessagesPrefix) + account_sid + "/Messages/" + sid + "/Media.json"}};
  return body;
}

void FakeMessagesApi::Impl::set_plan(const std::string& to, std::vector<FakeReply> replies) {
  const std::lock_guard lock(mutex);
  if (replies.empty()) {
    plans.erase(to);
  } else {
    plans[to] = std::deque<FakeReply>(replies.begin(), replies.end());
  }
}

std::string FakeMessagesApi::Impl::next_message_sid() {
  char counter[17];
  std::snprintf(counter, sizeof counter, "%016llx",
                static_cast<unsigned long long>(++messages_created));
  return "SM" + sid_prefix + counter;
}

std::size_t FakeMessagesApi::Impl::accepted_count() const {
  return static_cast<std::size_t>(
      std::count_if(received.begin(), received.end(),
                    [](const FakeRequest& r) { return r.answered_status == 201; }));
}

HttpResponse FakeMessagesApi::Impl::list_requests_as_json() const {
  Json list = Json::array();
  {
    const std::lock_guard lock(mutex);
    for (const FakeRequest& request : received) {
      Json item;
      item["path"] = request.path;
      item["form"] = Json::object();
      for (const auto& [name, value] : request.form) item["form"][name] = value;
      item["answered_status"] = request.answered_status;
      item["sid"] = request.sid.empty() ? Json(nullptr) : Json(request.sid);
      list.push_back(std::move(item));
    }
  }
  return {200, to_text(list), {}};
}

HttpResponse FakeMessagesApi::Impl::plan_from_json(const std::string& body) {
  std::string to;
  std::vector<FakeReply> replies;
  try {
    const Json json = Json::parse(body);
    to = json.at("to").get<std::string>();
    for (const Json& item : json.at("replies")) {
      FakeReply reply;
      reply.status = item.value("status", 201);
      reply.error_code = item.value("error_code", 0);
      reply.delay = std::chrono::milliseconds(item.value("delay_ms", 0));
      check_reply(reply);
      replies.push_back(reply);
    }
  } catch (const std::exception& error) {
    return control_error(400, std::string("bad plan: ") + error.what());
  }
  const std::size_t planned = replies.size();
  set_plan(to, std::move(replies));
  // 200 with a body rather than 204, which may not carry the Content-Length every answer has.
  return {200, to_text(Json{{"to", to}, {"planned", planned}}), {}};
}

FakeMessagesApi::FakeMessagesApi(std::string account_sid, std::string auth_token,
                                 std::uint16_t port)
    : impl_(std::make_unique<Impl>(std::move(account_sid), auth_token, port)) {}

FakeMessagesApi::~FakeMessagesApi() = default;

std::uint16_t FakeMessagesApi::port() const { return impl_->port; }

std::string FakeMessagesApi::base_url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port);
}

void FakeMessagesApi::plan(const std::string& to, std::vector<FakeReply> replies) {
  for (const FakeReply& reply : replies) check_reply(reply);
  impl_->set_plan(to, std::move(replies));
}

std::vector<FakeRequest> FakeMessagesApi::requests() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->received;
}

std::vector<FakeRequest> FakeMessagesApi::accepted() const {
  const std::lock_guard lock(impl_->mutex);
  std::vector<FakeRequest> result;
  std::copy_if(impl_->received.begin(), impl_->received.end(), std::back_inserter(result),
               [](const FakeRequest& r) { return r.answered_status == 201; });
  return result;
}

bool FakeMessagesApi::wait_for_accepted(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->accepted_changed.wait_for(lock, timeout,
                                          [this, n] { return impl_->accepted_count() >= n; });
}

void FakeMessagesApi::enable_control_endpoints() { impl_->control_endpoints = true; }

}  // namespace smscoach::test
