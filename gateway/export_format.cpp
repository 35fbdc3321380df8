#include "gateway/export_format.hpp"

#include "gateway/admin_json.hpp"
#include "gateway/csv.hpp"
#include "gateway/iso_time.hpp"

namespace smscoach::gateway {

std::optional<ExportFormat> parse_export_format(std::string_view text) {
  if (text == "jsonl") return ExportFormat::jsonl;
  if (text == "csv") return ExportFormat::csv;
  return std::nullopt;
}

std::string_view export_content_type(ExportFormat format) {
  return format == ExportFormat::csv ? "text/csv; charset=utf-8" : "application/x-ndjson";
}

std::string export_content_disposition(ExportFormat format) {
  return std::string("attachment; filename=\"smscoach-messages.") +
         (format == ExportFormat::csv ? "csv" : "jsonl") + "\"";
}

void append_export_header(ExportFormat format, std::string& out) {
  if (format == ExportFormat::csv) {
    csv::append_row(out, {"number", "direction", "body", "at", "intent", "author"});
  }
}

void append_export_row(ExportFormat format, const ExportRow& row, std::string& out) {
  if (format == ExportFormat::jsonl) {
    out += admin_json::text(admin_json::export_row(row));
    out += '\n';
    return;
  }
  csv::append_row(
      out, {row.number, row.direction, row.body, iso8601_utc(row.at_ms), row.intent, row.author});
}

}  // namespace smscoach::gateway
