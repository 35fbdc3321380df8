#pragma once
// Reads a JSON Lines file into objects that remember their line, and checks
// fields with errors in the `file:line: message` form every content tool prints.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace smscoach::content {

struct ContentError {
  std::string file;
  int line = 0;  // 1-based; 0 when the problem is the file as a whole
  std::string message;

  std::string to_string() const;  // "file:line: message"
};

struct JsonlRecord {
  int line = 0;
  nlohmann::json value;  // always an object
};

// Parses text (the contents of `file`): one JSON object a line; blank lines and
// lines starting with '#' are skipped. Bad lines become errors, not records.
std::vector<JsonlRecord> parse_jsonl(std::string_view file, std::string_view text,
                                     std::vector<ContentError>& errors);

// Field checks on one record; each failure appends an error and returns false.
class RecordChecker {
 public:
  RecordChecker(std::string_view file, const JsonlRecord& record,
                std::vector<ContentError>& errors);

  // A non-empty string field.
  bool string_field(std::string_view key, std::string& out);
  // A non-empty array of non-empty strings; `min_count` elements at least.
  bool string_list(std::string_view key, std::vector<std::string>& out, std::size_t min_count,
                   bool allow_empty_list = false);
  // Optional fields: absent is fine (out keeps its value), an empty string
  // too; present but of the wrong type is an error.
  bool optional_string(std::string_view key, std::string& out);
  bool optional_string_list(std::string_view key, std::vector<std::string>& out);
  // A number; `required` false means absent keeps out as it is.
  bool number_field(std::string_view key, double& out, bool required);
  void fail(std::string message);
  bool ok() const { return ok_; }

 private:
  std::string file_;
  const JsonlRecord& record_;
  std::vector<ContentError>& errors_;
  bool ok_ = true;
};

}  // namespace smscoach::content
