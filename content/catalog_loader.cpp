// products.json: the operator's product catalog, in SPEC's fixed schema.
// Plain JSON rather than JSONL (acceptance checks swap the file), so product
// lines come from a small scan of the text.

#include <set>

#include "content/loader_parts.hpp"

namespace smscoach::content::detail {

namespace {

int line_at(std::string_view text, std::size_t byte) {
  int line = 1;
  for (std::size_t i = 0; i < byte && i < text.size(); ++i) line += text[i] == '\n';
  return line;
}

// The line of the opening brace of each element of the top-level "products"
// array; strings (and their escapes) are skipped so braces inside them do not count.
std::vector<int> product_lines(std::string_view text) {
  std::vector<int> lines;
  int line = 1, depth = 0, products_depth = -1;
  std::string last_key_at_top;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
    } else if (c == '"') {
      std::string s;
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        if (text[i] == '\n') ++line;
        s.push_back(text[i]);
      }
      if (depth == 1) last_key_at_top = s;
    } else if (c == '{' || c == '[') {
      if (c == '[' && depth == 1 && last_key_at_top == "products") products_depth = depth + 1;
      if (c == '{' && products_depth >= 0 && depth == products_depth) lines.push_back(line);
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
      if (depth < products_depth) products_depth = -1;
    }
  }
  return lines;
}

}  // namespace

void load_catalog(const std::string& file, std::string_view text, ProductCatalog& out,
                  std::vector<ContentError>& errors) {
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    errors.push_back({file, line_at(text, e.byte ? e.byte - 1 : 0), "not valid JSON"});
    return;
  } catch (const nlohmann::json::out_of_range&) {
    // A number beyond a double ("1e400") is not a parse_error to nlohmann,
    // and it says not where: the file as a whole, reported at its first line.
    errors.push_back({file, 1, "not valid JSON: a number is too large"});
    return;
  }
  if (!root.is_object() || !root.contains("products") || !root["products"].is_array()) {
    errors.push_back({file, 1, "expected an object with a \"products\" list (SPEC schema)"});
    return;
  }
  if (root.contains("demo")) {
    if (!root["demo"].is_boolean()) {
      errors.push_back({file, 1, "\"demo\" must be true or false"});
    } else {
      out.demo = root["demo"].get<bool>();
    }
  }
  const auto lines = product_lines(text);
  std::set<std::string, std::less<>> ids;
  const auto& products = root["products"];
  for (std::size_t i = 0; i < products.size(); ++i) {
    const JsonlRecord record{i < lines.size() ? lines[i] : 0, products[i]};
    if (!record.value.is_object()) {
      errors.push_back({file, record.line, "each product must be an object"});
      continue;
    }
    RecordChecker check(file, record, errors);
    Product p;
    check.string_field("id", p.id);
    check.string_field("name", p.name);
    check.string_field("category", p.category);
    check.string_field("serving", p.serving);
    const auto mg = record.value.find("per_serving_mg");
    if (mg == record.value.end() || !mg->is_object()) {
      check.fail("\"per_serving_mg\" must be an object of ingredient id -> milligrams");
    } else {
      for (auto it = mg->begin(); it != mg->end(); ++it) {
        if (!it->is_number() || it->get<double>() < 0) {
          check.fail("\"per_serving_mg\"." + it.key() + " must be a number of mg, 0 or more");
        } else {
          p.per_serving_mg.emplace_back(it.key(), it->get<double>());
        }
      }
    }
    if (!check.ok()) continue;
    if (!ids.insert(p.id).second) check.fail("product id \"" + p.id + "\" given twice");
    if (!is_value_id(p.category)) check.fail("category \"" + p.category + "\" must be snake_case");
    check_sms_text(check, "product name", p.name);
    check_sms_text(check, "serving", p.serving);
    p.line = record.line;
    if (check.ok()) out.products.push_back(std::move(p));
  }
}

}  // namespace smscoach::content::detail
