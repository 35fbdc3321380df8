#pragma once
// CSV as RFC 4180 writes it: CRLF line ends; a field holding a comma, a
// double quote, CR or LF is quoted, with its quotes doubled. Bytes are kept
// as they are (UTF-8 in, UTF-8 out): no trimming and no rewriting of fields
// a spreadsheet might read as formulas, so an export round-trips exactly.

#include <initializer_list>
#include <string>
#include <string_view>

namespace smscoach::gateway::csv {

// Appends one field, quoted when it must be.
void append_field(std::string& out, std::string_view field);

// Appends the fields separated by commas, then CRLF.
void append_row(std::string& out, std::initializer_list<std::string_view> fields);

}  // namespace smscoach::gateway::csv
