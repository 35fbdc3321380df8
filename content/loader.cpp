#include "content/loader.hpp"

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "content/gsm7.hpp"
#include "content/intent_ids.hpp"
#include "content/loader_parts.hpp"

namespace smscoach::content {

namespace detail {

void check_sms_text(RecordChecker& check, std::string_view what, std::string_view text) {
  const auto septets = gsm7_septets(text);
  if (!septets) {
    check.fail(std::string(what) +
               " has a character outside GSM-7 (curly quote, dash, emoji...): use plain ASCII");
  } else if (gsm7_segments(*septets) > kMaxSegmentsPerText) {
    check.fail(std::string(what) + " is " + std::to_string(*septets) + " characters, over " +
               std::to_string(kMaxSegmentsPerText) + " SMS segments");
  }
}

std::optional<EvidenceTier> parse_tier(std::string_view s) {
  if (s == "A") return EvidenceTier::A;
  if (s == "B") return EvidenceTier::B;
  if (s == "C") return EvidenceTier::C;
  if (s == "D") return EvidenceTier::D;
  return std::nullopt;
}

}  // namespace detail

namespace {

using namespace detail;

bool read_file(const std::filesystem::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buf;
  buf << in.rdbuf();
  out = buf.str();
  return true;
}

bool is_snake_case(std::string_view id) {
  if (id.empty() || !(id[0] >= 'a' && id[0] <= 'z')) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

using ProgramField = std::string ProgramText::*;
const std::map<std::string, ProgramField, std::less<>>& program_fields() {
  static const std::map<std::string, ProgramField, std::less<>> fields = {
      {"line_name", &ProgramText::line_name},
      {"help", &ProgramText::help},
      {"opt_out_confirmation", &ProgramText::opt_out_confirmation},
      {"opt_in_confirmation", &ProgramText::opt_in_confirmation},
      {"greeting", &ProgramText::greeting},
      {"thanks", &ProgramText::thanks},
      {"human_handoff", &ProgramText::human_handoff},
      {"human_holding", &ProgramText::human_holding},
      {"human_timeout", &ProgramText::human_timeout},
      {"out_of_scope", &ProgramText::out_of_scope},
      {"out_of_scope_repeat", &ProgramText::out_of_scope_repeat},
      {"med_safety_generic", &ProgramText::med_safety_generic},
      {"not_ready", &ProgramText::not_ready},
      {"delete_data_done", &ProgramText::delete_data_done},
      {"dose_ask_supplement", &ProgramText::dose_ask_supplement},
      {"dose_ask_weight", &ProgramText::dose_ask_weight},
      {"dose_no_rule", &ProgramText::dose_no_rule},
      {"escalation_note", &ProgramText::escalation_note},
      {"med_no_known_flag", &ProgramText::med_no_known_flag},
      {"profile_saved", &ProgramText::profile_saved},
      {"more_none", &ProgramText::more_none},
      {"compare_ask_ingredient", &ProgramText::compare_ask_ingredient},
      {"compare_none", &ProgramText::compare_none},
      {"compare_caveat", &ProgramText::compare_caveat},
      {"recommend_ask_goal", &ProgramText::recommend_ask_goal},
      {"catalog_demo_note", &ProgramText::catalog_demo_note},
  };
  return fields;
}

void load_program(const std::string& file, std::string_view text, ProgramText& program,
                  std::vector<ContentError>& errors) {
  std::set<std::string, std::less<>> seen;
  for (const auto& record : parse_jsonl(file, text, errors)) {
    RecordChecker check(file, record, errors);
    std::string key, value;
    if (!check.string_field("key", key) || !check.string_field("text", value)) continue;
    const auto field = program_fields().find(key);
    if (field == program_fields().end()) {
      check.fail("unknown program key \"" + key + "\"");
      continue;
    }
    if (!seen.insert(key).second) {
      check.fail("program key \"" + key + "\" given twice");
      continue;
    }
    check_sms_text(check, "\"" + key + "\"", value);
    // Carriers require HELP to state costs and how to stop (CTIA, sms-protocol.md 6.2).
    if (key == "help" && (value.find("Msg&data rates may apply") == std::string::npos ||
                          value.find("STOP") == std::string::npos)) {
      check.fail("\"help\" must say \"Msg&data rates may apply\" and how to STOP");
    }
    program.*(field->second) = value;
  }
  for (const auto& [key, member] : program_fields()) {
    if (!seen.contains(key)) errors.push_back({file, 0, "missing program key \"" + key + "\""});
  }
}

void load_faqs(const std::string& file, std::string_view text, std::vector<FaqEntry>& faqs,
               std::vector<ContentError>& errors) {
  std::set<std::string, std::less<>> ids;
  for (const auto& record : parse_jsonl(file, text, errors)) {
    RecordChecker check(file, record, errors);
    FaqEntry faq;
    std::string tier;
    check.string_field("id", faq.id);
    check.string_field("question", faq.question);
    check.string_field("answer", faq.answer);
    check.string_field("tier", tier);
    check.string_list("sources", faq.sources, 0, /*allow_empty_list=*/true);
    check.string_list("examples", faq.examples, 3);
    if (!check.ok()) continue;
    if (!is_snake_case(faq.id)) check.fail("id \"" + faq.id + "\" must be snake_case");
    if (!ids.insert(faq.id).second) check.fail("FAQ id \"" + faq.id + "\" given twice");
    if (const auto t = parse_tier(tier)) {
      faq.tier = *t;
    } else {
      check.fail("tier must be one of A, B, C, D, not \"" + tier + "\"");
    }
    check_sms_text(check, "answer", faq.answer);
    if (check.ok()) faqs.push_back(std::move(faq));
  }
  for (std::string_view id : contract_faq_ids()) {
    if (!ids.contains(id)) {
      errors.push_back({file, 0, "missing FAQ entry \"" + std::string(id) + "\" (SPEC.md)"});
    }
  }
}

void load_intents(const std::string& file, std::string_view text,
                  std::vector<IntentExamples>& intents, std::vector<ContentError>& errors) {
  std::set<std::string, std::less<>> seen;
  for (const auto& record : parse_jsonl(file, text, errors)) {
    RecordChecker check(file, record, errors);
    IntentExamples group;
    check.string_field("intent", group.intent);
    check.string_list("examples", group.examples, 3);
    if (!check.ok()) continue;
    if (!is_core_intent(group.intent)) {
      check.fail("unknown intent \"" + group.intent + "\" (FAQ intents belong in faq.jsonl)");
      continue;
    }
    if (!seen.insert(group.intent).second) {
      check.fail("intent \"" + group.intent + "\" given twice");
      continue;
    }
    intents.push_back(std::move(group));
  }
}

// One text labelled with two intents would teach the classifier to contradict itself.
void check_conflicting_labels(const std::filesystem::path& dir, const KnowledgeBase& kb,
                              std::vector<ContentError>& errors) {
  std::map<std::string, std::string> label_of;
  for (const auto& u : kb.training_utterances()) {
    auto [it, inserted] = label_of.emplace(u.text, u.intent);
    if (!inserted && it->second != u.intent) {
      errors.push_back({(dir / (u.intent.starts_with(kFaqPrefix) ? "faq.jsonl" : "intents.jsonl"))
                            .string(),
                        0,
                        "example \"" + u.text + "\" is labelled both " + it->second + " and " +
                            u.intent});
    }
  }
}

// Adapts a per-file loader to the part of the knowledge base it fills.
template <auto Member, auto Loader>
void load_into(const std::string& file, std::string_view text, KnowledgeBase& kb,
               std::vector<ContentError>& errors) {
  Loader(file, text, kb.*Member, errors);
}

}  // namespace

LoadResult load_knowledge_base(const std::filesystem::path& dir) {
  LoadResult result;
  struct Part {
    const char* name;
    void (*load)(const std::string&, std::string_view, KnowledgeBase&, std::vector<ContentError>&);
  };
  static const Part parts[] = {
      {"program.jsonl", &load_into<&KnowledgeBase::program, &load_program>},
      {"faq.jsonl", &load_into<&KnowledgeBase::faqs, &load_faqs>},
      {"intents.jsonl", &load_into<&KnowledgeBase::intents, &load_intents>},
      {"slang.jsonl", &load_into<&KnowledgeBase::slang, &load_slang>},
      {"entity_values.jsonl", &load_into<&KnowledgeBase::entity_values, &load_entity_values>},
      {"supplements.jsonl", &load_into<&KnowledgeBase::supplements, &load_supplements>},
      {"medications.jsonl", &load_into<&KnowledgeBase::medications, &load_medications>},
      {"dose_rules.jsonl", &load_into<&KnowledgeBase::dose_rules, &load_dose_rules>},
      {"interactions.jsonl", &load_into<&KnowledgeBase::interactions, &load_interactions>},
      {"conditions.jsonl", &load_into<&KnowledgeBase::conditions, &load_conditions>},
      {"products.json", &load_into<&KnowledgeBase::catalog, &load_catalog>},
      {"recommendations.jsonl",
       &load_into<&KnowledgeBase::recommendations, &load_recommendations>},
  };
  for (const auto& part : parts) {
    const std::string file = (dir / part.name).string();
    std::string text;
    if (!read_file(dir / part.name, text)) {
      result.errors.push_back({file, 0, "cannot read file"});
      continue;
    }
    part.load(file, text, result.kb, result.errors);
  }
  if (result.errors.empty()) {
    check_conflicting_labels(dir, result.kb, result.errors);
    check_references(dir.string(), result.kb, result.errors);
  }
  return result;
}

}  // namespace smscoach::content
