#include <map>
#include <set>

#include "content/loader_parts.hpp"

namespace smscoach::content::detail {

bool is_value_id(std::string_view id) {
  if (id.empty()) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

namespace {

// Each alias may stand for one thing only, or matching would depend on file order.
class AliasRegistry {
 public:
  explicit AliasRegistry(std::string what) : what_(std::move(what)) {}
  void add(RecordChecker& check, const std::string& alias, const std::string& owner) {
    auto [it, inserted] = owner_.emplace(alias, owner);
    if (!inserted && it->second != owner) {
      check.fail(what_ + " \"" + alias + "\" stands for both " + it->second + " and " + owner);
    }
  }

 private:
  std::string what_;
  std::map<std::string, std::string> owner_;
};

}  // namespace

void load_slang(const std::string& file, std::string_view text, std::vector<SlangEntry>& out,
                std::vector<ContentError>& errors) {
  AliasRegistry registry("shorthand");
  for (const auto& record : parse_jsonl(file, text, errors)) {
    RecordChecker check(file, record, errors);
    SlangEntry entry;
    check.string_field("to", entry.to);
    check.string_list("from", entry.from, 1);
    if (!check.ok()) continue;
    for (const auto& f : entry.from) registry.add(check, f, entry.to);
    if (check.ok()) out.push_back(std::move(entry));
  }
}

void load_entity_values(const std::string& file, std::string_view text,
                        std::vector<EntityValue>& out, std::vector<ContentError>& errors) {
  static const std::map<std::string, std::set<std::string>, std::less<>> kAllowed = {
      {"goal", {"lose_fat", "build_muscle", "maintain", "endurance"}},
      {"order", {"most", "least"}},
      {"category", {}},  // operator data: any snake_case id
  };
  std::map<std::string, AliasRegistry> registries;
  for (const auto& record : parse_jsonl(file, text, errors)) {
    RecordChecker check(file, record, errors);
    EntityValue value;
    check.string_field("entity", value.entity);
    check.string_field("id", value.id);
    check.string_list("aliases", value.aliases, 1);
    if (!check.ok()) continue;
    const auto allowed = kAllowed.find(value.entity);
    if (allowed == kAllowed.end()) {
      check.fail("entity must be goal, category or order, not \"" + value.entity + "\"");
      continue;
    }
    if (!is_value_id(value.id) ||
        (!allowed->second.empty() && !allowed->second.contains(value.id))) {
      check.fail("\"" + value.id + "\" is not a valid " + value.entity + " id");
      continue;
    }
    auto& registry = registries.try_emplace(value.entity, value.entity + " alias").first->second;
    for (const auto& a : value.aliases) registry.add(check, a, value.id);
    if (check.ok()) out.push_back(std::move(value));
  }
}

void load_supplements(const std::string& file, std::string_view text,
                      std::vector<Supplement>& out, std::vector<ContentError>& errors) {
  AliasRegistry registry("supplement alias");
  for (const auto& record : parse_jsonl(file, text, errors)) {
    RecordChecker check(file, record, errors);
    Supplement s;
    check.string_field("id", s.id);
    check.string_field("name", s.name);
    check.string_list("aliases", s.aliases, 0, /*allow_empty_list=*/true);
    check.optional_string("category", s.category);
    check.optional_string("summary", s.summary);
    check.optional_string_list("sources", s.sources);
    check.optional_string("never_dose", s.never_dose);
    check.optional_string("no_dose", s.no_dose);
    std::string tier = "D";
    check.optional_string("tier", tier);
    if (!check.ok()) continue;
    if (const auto t = parse_tier(tier)) {
      s.tier = *t;
    } else {
      check.fail("tier must be one of A, B, C, D, not \"" + tier + "\"");
    }
    if (!s.never_dose.empty() && !s.no_dose.empty()) {
      check.fail("give \"never_dose\" or \"no_dose\", not both");
    }
    for (const auto* text : {&s.summary, &s.never_dose, &s.no_dose}) {
      if (!text->empty()) check_sms_text(check, "supplement text", *text);
    }
    if (!is_value_id(s.id)) check.fail("id \"" + s.id + "\" must be lower case snake_case");
    registry.add(check, s.id, s.id);
    for (const auto& a : s.aliases) registry.add(check, a, s.id);
    if (check.ok()) out.push_back(std::move(s));
  }
}

void load_medications(const std::string& file, std::string_view text,
                      std::vector<Medication>& out, std::vector<ContentError>& errors) {
  AliasRegistry registry("medication name");
  for (const auto& record : parse_jsonl(file, text, errors)) {
    RecordChecker check(file, record, errors);
    Medication m;
    check.string_field("generic", m.generic);
    check.string_list("brands", m.brands, 0, true);
    check.string_list("classes", m.classes, 1);
    check.string_list("aliases", m.aliases, 0, true);
    if (!check.ok()) continue;
    if (!is_value_id(m.generic)) {
      check.fail("generic \"" + m.generic + "\" must be lower case snake_case");
    }
    registry.add(check, m.generic, m.generic);
    for (const auto& b : m.brands) registry.add(check, b, m.generic);
    for (const auto& a : m.aliases) registry.add(check, a, m.generic);
    if (check.ok()) out.push_back(std::move(m));
  }
}


}  // namespace smscoach::content::detail
