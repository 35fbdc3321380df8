#pragma once
// How an export's rows are written: JSON Lines or RFC 4180 CSV, with the
// columns SPEC names (number, direction, body, at, intent, author).

#include <optional>
#include <string>
#include <string_view>

#include "common/conversations.hpp"

namespace smscoach::gateway {

enum class ExportFormat { jsonl, csv };

// "jsonl" or "csv"; nullopt for anything else.
std::optional<ExportFormat> parse_export_format(std::string_view text);

// "application/x-ndjson" or "text/csv; charset=utf-8".
std::string_view export_content_type(ExportFormat format);

// "attachment; filename=\"smscoach-messages.jsonl\"" (or .csv).
std::string export_content_disposition(ExportFormat format);

// What comes before the first row: CSV's header row; nothing for JSONL.
void append_export_header(ExportFormat format, std::string& out);

// One row: a JSON object and "\n", or a CSV record and CRLF. Times are
// ISO-8601 UTC; a row without an intent has null (JSONL) or an empty field (CSV).
void append_export_row(ExportFormat format, const ExportRow& row, std::string& out);

}  // namespace smscoach::gateway
