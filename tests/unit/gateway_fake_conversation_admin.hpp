#pragma once
// A scripted ConversationAdmin for gateway tests: records every call and
// answers with what the test set up, or with a canned error per method.
// Thread-safe: the server tests call it from worker threads.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/conversations.hpp"

namespace smscoach::gateway::testing {

class FakeConversationAdmin : public ConversationAdmin {
 public:
  // One call, with whichever arguments it has.
  struct Call {
    std::string method;  // "take_over", "release", "send_operator_message", ...
    std::string number;
    std::string actor;  // actor, operator_name or author, as the method calls it
    std::string text;   // body or intent
    std::int64_t id = 0;
    std::int64_t at_ms = 0;
  };

  static Call make_call(std::string method, std::string number = {}, std::string actor = {},
                        std::string text = {}, std::int64_t id = 0, std::int64_t at_ms = 0) {
    return {std::move(method), std::move(number), std::move(actor), std::move(text), id, at_ms};
  }

  // ---- ConversationAdmin ----

  Expected<ConversationPage> list_conversations(const ConversationQuery& query) override {
    const std::lock_guard lock(mutex_);
    record(make_call("list_conversations"));
    queries_.push_back(query);
    if (auto error = error_for("list_conversations")) return *error;
    return page_;
  }

  Expected<std::vector<ConversationSummary>> handoffs() override {
    const std::lock_guard lock(mutex_);
    record(make_call("handoffs"));
    if (auto error = error_for("handoffs")) return *error;
    return handoffs_;
  }

  Expected<ConversationDetail> conversation(std::string_view number) override {
    const std::lock_guard lock(mutex_);
    record(make_call("conversation", std::string(number)));
    if (auto error = error_for("conversation")) return *error;
    const auto it = conversations_.find(std::string(number));
    if (it == conversations_.end()) return Error{ErrorCode::not_found, "no such conversation"};
    return it->second;
  }

  Status take_over(std::string_view number, std::string_view actor, std::int64_t now_ms) override {
    return act(make_call("take_over", std::string(number), std::string(actor), {}, 0, now_ms));
  }

  Status release(std::string_view number, std::string_view actor, std::int64_t now_ms) override {
    return act(make_call("release", std::string(number), std::string(actor), {}, 0, now_ms));
  }

  Status send_operator_message(std::string_view number, std::string_view operator_name,
                               std::string_view body, std::int64_t now_ms) override {
    return act(make_call("send_operator_message", std::string(number), std::string(operator_name),
                         std::string(body), 0, now_ms));
  }

  Status add_note(std::string_view number, std::string_view author, std::string_view body,
                  std::int64_t now_ms) override {
    return act(make_call("add_note", std::string(number), std::string(author), std::string(body), 0,
                         now_ms));
  }

  Status relabel(std::int64_t message_id, std::string_view intent, std::string_view actor,
                 std::int64_t now_ms) override {
    return act(
        make_call("relabel", {}, std::string(actor), std::string(intent), message_id, now_ms));
  }

  Expected<std::vector<RelabelRow>> relabels() override { return std::vector<RelabelRow>{}; }

  // Rows come from the generator one at a time, as a store's cursor would
  // give them: nothing is gathered here either.
  Status export_messages(std::int64_t since_ms,
                         const std::function<bool(const ExportRow&)>& sink) override {
    std::function<std::optional<ExportRow>(std::size_t)> generate;
    std::optional<std::size_t> fail_after;
    {
      const std::lock_guard lock(mutex_);
      record(make_call("export_messages", {}, {}, {}, 0, since_ms));
      if (auto error = error_for("export_messages")) return *error;
      generate = generate_;
      fail_after = export_fail_after_;
    }
    for (std::size_t i = 0;; ++i) {
      if (fail_after && i == *fail_after) return Error{ErrorCode::unavailable, "store went away"};
      auto row = generate ? generate(i) : std::nullopt;
      if (!row) break;
      rows_produced_++;
      if (!sink(*row)) break;
    }
    return Ok{};
  }

  Status erase(std::string_view number, std::string_view actor, std::int64_t now_ms) override {
    return act(make_call("erase", std::string(number), std::string(actor), {}, 0, now_ms));
  }

  Status audit(const AuditEntry& entry) override {
    const std::lock_guard lock(mutex_);
    if (auto error = error_for("audit")) return *error;
    audits_.push_back(entry);
    return Ok{};
  }

  Expected<std::vector<AuditEntry>> audit_log(int limit) override {
    const std::lock_guard lock(mutex_);
    record(make_call("audit_log", {}, {}, {}, limit));
    if (auto error = error_for("audit_log")) return *error;
    return audits_;
  }

  // ---- scripting ----

  void set_page(ConversationPage page) {
    const std::lock_guard lock(mutex_);
    page_ = std::move(page);
  }
  void set_handoffs(std::vector<ConversationSummary> handoffs) {
    const std::lock_guard lock(mutex_);
    handoffs_ = std::move(handoffs);
  }
  void add_conversation(ConversationDetail detail) {
    const std::lock_guard lock(mutex_);
    conversations_[detail.summary.number] = std::move(detail);
  }
  // Every later call of `method` fails with this error.
  void fail(const std::string& method, ErrorCode code, std::string message) {
    const std::lock_guard lock(mutex_);
    errors_[method] = Error{code, std::move(message)};
  }
  void clear_failures() {
    const std::lock_guard lock(mutex_);
    errors_.clear();
  }
  void set_export_rows(std::vector<ExportRow> rows) {
    set_export_generator([rows = std::move(rows)](std::size_t i) -> std::optional<ExportRow> {
      if (i >= rows.size()) return std::nullopt;
      return rows[i];
    });
  }
  // Row i, or nullopt after the last.
  void set_export_generator(std::function<std::optional<ExportRow>(std::size_t)> generate) {
    const std::lock_guard lock(mutex_);
    generate_ = std::move(generate);
  }
  // The export fails with `unavailable` when it reaches row `index`.
  void fail_export_after(std::size_t index) {
    const std::lock_guard lock(mutex_);
    export_fail_after_ = index;
  }

  // ---- what happened ----

  std::vector<Call> calls() const {
    const std::lock_guard lock(mutex_);
    return calls_;
  }
  // Calls that change something (take_over, release, send_operator_message,
  // add_note, relabel, erase).
  std::vector<Call> actions() const {
    const std::lock_guard lock(mutex_);
    std::vector<Call> out;
    for (const auto& call : calls_) {
      if (call.method == "take_over" || call.method == "release" ||
          call.method == "send_operator_message" || call.method == "add_note" ||
          call.method == "relabel" || call.method == "erase") {
        out.push_back(call);
      }
    }
    return out;
  }
  std::vector<ConversationQuery> queries() const {
    const std::lock_guard lock(mutex_);
    return queries_;
  }
  std::vector<AuditEntry> audits() const {
    const std::lock_guard lock(mutex_);
    return audits_;
  }
  std::size_t rows_produced() const { return rows_produced_; }

 private:
  void record(Call call) { calls_.push_back(std::move(call)); }

  std::optional<Error> error_for(const std::string& method) const {
    const auto it = errors_.find(method);
    if (it == errors_.end()) return std::nullopt;
    return it->second;
  }

  Status act(Call call) {
    const std::lock_guard lock(mutex_);
    const std::string method = call.method;
    record(std::move(call));
    if (auto error = error_for(method)) return *error;
    return Ok{};
  }

  mutable std::mutex mutex_;
  std::vector<Call> calls_;
  std::vector<ConversationQuery> queries_;
  std::vector<AuditEntry> audits_;
  std::map<std::string, Error> errors_;
  ConversationPage page_;
  std::vector<ConversationSummary> handoffs_;
  std::map<std::string, ConversationDetail> conversations_;
  std::function<std::optional<ExportRow>(std::size_t)> generate_;
  std::optional<std::size_t> export_fail_after_;
  std::atomic<std::size_t> rows_produced_{0};
};

}  // namespace smscoach::gateway::testing
