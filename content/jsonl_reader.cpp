#include "content/jsonl_reader.hpp"

namespace smscoach::content {

std::string ContentError::to_string() const {
  return file + ":" + std::to_string(line) + ": " + message;
}

std::vector<JsonlRecord> parse_jsonl(std::string_view file, std::string_view text,
                                     std::vector<ContentError>& errors) {
  std::vector<JsonlRecord> records;
  int line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;

    auto value = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) {
      errors.push_back({std::string(file), line_no, "not valid JSON"});
      continue;
    }
    if (!value.is_object()) {
      errors.push_back({std::string(file), line_no, "expected a JSON object"});
      continue;
    }
    records.push_back({line_no, std::move(value)});
  }
  return records;
}

RecordChecker::RecordChecker(std::string_view file, const JsonlRecord& record,
                             std::vector<ContentError>& errors)
    : file_(file), record_(record), errors_(errors) {}

void RecordChecker::fail(std::string message) {
  errors_.push_back({file_, record_.line, std::move(message)});
  ok_ = false;
}

bool RecordChecker::string_field(std::string_view key, std::string& out) {
  const auto it = record_.value.find(key);
  if (it == record_.value.end()) {
    fail("missing \"" + std::string(key) + "\"");
    return false;
  }
  if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
    fail("\"" + std::string(key) + "\" must be a non-empty string");
    return false;
  }
  out = it->get<std::string>();
  return true;
}

bool RecordChecker::string_list(std::string_view key, std::vector<std::string>& out,
                                std::size_t min_count, bool allow_empty_list) {
  const auto it = record_.value.find(key);
  if (it == record_.value.end()) {
    fail("missing \"" + std::string(key) + "\"");
    return false;
  }
  if (!it->is_array()) {
    fail("\"" + std::string(key) + "\" must be a list of strings");
    return false;
  }
  out.clear();
  for (const auto& item : *it) {
    if (!item.is_string() || item.get_ref<const std::string&>().empty()) {
      fail("\"" + std::string(key) + "\" must hold only non-empty strings");
      return false;
    }
    out.push_back(item.get<std::string>());
  }
  if (out.size() < min_count && !(allow_empty_list && out.empty())) {
    fail("\"" + std::string(key) + "\" needs at least " + std::to_string(min_count) +
         " entries, has " + std::to_string(out.size()));
    return false;
  }
  return true;
}

}  // namespace smscoach::content

namespace smscoach::content {

bool RecordChecker::optional_string(std::string_view key, std::string& out) {
  const auto it = record_.value.find(key);
  if (it == record_.value.end()) return true;
  if (!it->is_string()) {
    fail("\"" + std::string(key) + "\" must be a string");
    return false;
  }
  out = it->get<std::string>();
  return true;
}

bool RecordChecker::optional_string_list(std::string_view key, std::vector<std::string>& out) {
  if (!record_.value.contains(key)) return true;
  return string_list(key, out, 0, /*allow_empty_list=*/true);
}

bool RecordChecker::number_field(std::string_view key, double& out, bool required) {
  const auto it = record_.value.find(key);
  if (it == record_.value.end()) {
    if (required) fail("missing \"" + std::string(key) + "\"");
    return !required;
  }
  if (!it->is_number()) {
    fail("\"" + std::string(key) + "\" must be a number");
    return false;
  }
  out = it->get<double>();
  return true;
}

}  // namespace smscoach::content
