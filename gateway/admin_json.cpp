#include "gateway/admin_json.hpp"

#include <utility>

#include "gateway/iso_time.hpp"

namespace smscoach::gateway::admin_json {

namespace {

Json text_or_null(const std::string& text) { return text.empty() ? Json() : Json(text); }

// 0 is the store's "never": no conversation or message is dated 1970.
Json time_or_null(std::int64_t unix_ms) {
  return unix_ms == 0 ? Json() : Json(iso8601_utc(unix_ms));
}

}  // namespace

Json summary(const ConversationSummary& conversation) {
  return {{"number", conversation.number},
          {"mode", conversation.mode},
          {"flagged", conversation.flagged},
          {"opted_out", conversation.opted_out},
          {"last_at", time_or_null(conversation.last_at_ms)},
          {"last_text", conversation.last_text}};
}

Json handoff(const ConversationSummary& conversation) {
  Json out = summary(conversation);
  out["reason"] = text_or_null(conversation.reason);
  out["waiting_since"] = time_or_null(conversation.waiting_since_ms);
  return out;
}

Json detail(const ConversationDetail& conversation) {
  const ConversationSummary& s = conversation.summary;
  Json messages = Json::array();
  for (const ConversationMessage& m : conversation.messages) {
    messages.push_back({{"id", m.id},
                        {"direction", m.direction},
                        {"body", m.body},
                        {"at", time_or_null(m.at_ms)},
                        {"intent", text_or_null(m.intent)},
                        {"author", m.author},
                        {"relabel", text_or_null(m.relabel)},
                        {"delivery", text_or_null(m.delivery)}});
  }
  Json notes = Json::array();
  for (const ConversationNote& n : conversation.notes) {
    notes.push_back(
        {{"id", n.id}, {"author", n.author}, {"body", n.body}, {"at", time_or_null(n.at_ms)}});
  }
  return {{"number", s.number},
          {"profile",
           {{"weight_kg", conversation.weight_kg ? Json(*conversation.weight_kg) : Json()},
            {"goal", text_or_null(conversation.goal)},
            {"medications", conversation.medications}}},
          {"mode", s.mode},
          {"flagged", s.flagged},
          {"opted_out", s.opted_out},
          {"last_at", time_or_null(s.last_at_ms)},
          {"reason", text_or_null(s.reason)},
          {"waiting_since", time_or_null(s.waiting_since_ms)},
          {"messages", std::move(messages)},
          {"notes", std::move(notes)}};
}

Json audit_entry(const AuditEntry& entry) {
  return {{"at", time_or_null(entry.at_ms)},
          {"actor", entry.actor},
          {"action", entry.action},
          {"number", text_or_null(entry.number)},
          {"detail", entry.detail}};
}

Json canned_reply(const CannedReply& reply) {
  return {{"id", reply.id}, {"title", reply.title}, {"text", reply.text}};
}

Json export_row(const ExportRow& row) {
  return {
      {"number", row.number},         {"direction", row.direction},         {"body", row.body},
      {"at", iso8601_utc(row.at_ms)}, {"intent", text_or_null(row.intent)}, {"author", row.author}};
}

Json error(std::string reason) { return {{"error", std::move(reason)}}; }

std::string text(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace smscoach::gateway::admin_json
