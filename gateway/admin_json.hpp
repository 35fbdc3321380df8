#pragma once
// The admin API's JSON shapes (SPEC "HTTP"), one function per object. Times
// are ISO-8601 UTC strings; an empty optional text (no intent, no relabel,
// no goal) is null. Internal to gateway/ and its tests: it pulls in
// nlohmann_json, which the library links privately.

#include <nlohmann/json.hpp>
#include <string>

#include "common/conversations.hpp"

namespace smscoach::gateway::admin_json {

// Keys keep the order written, so responses read in SPEC's order.
using Json = nlohmann::ordered_json;

// {"number", "mode", "flagged", "opted_out", "last_at", "last_text"}
Json summary(const ConversationSummary& conversation);

// summary(...) plus "reason" and "waiting_since".
Json handoff(const ConversationSummary& conversation);

// {"number", "profile": {"weight_kg", "goal", "medications"}, "mode", "flagged",
//  "opted_out", "last_at", "reason", "waiting_since", "messages": [{"id", "direction",
//  "body", "at", "intent", "author", "relabel", "delivery"}], "notes": [{"id",
//  "author", "body", "at"}]}
Json detail(const ConversationDetail& conversation);

// {"at", "actor", "action", "number", "detail"}
Json audit_entry(const AuditEntry& entry);

// {"id", "title", "text"}
Json canned_reply(const CannedReply& reply);

// {"number", "direction", "body", "at", "intent", "author"}: an export row.
Json export_row(const ExportRow& row);

// {"error": reason}
Json error(std::string reason);

// Compact text. Bytes that are not UTF-8 (the store should hold none) become
// U+FFFD instead of failing the whole response.
std::string text(const Json& json);

}  // namespace smscoach::gateway::admin_json
