#pragma once
// The per-file loaders behind load_knowledge_base(), one function per file.
// Internal to content/.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "content/jsonl_reader.hpp"
#include "content/knowledge_base.hpp"

namespace smscoach::content::detail {

bool is_value_id(std::string_view id);
std::optional<EvidenceTier> parse_tier(std::string_view s);
// Every text we send must be GSM-7 and fit the segment budget.
void check_sms_text(RecordChecker& check, std::string_view what, std::string_view text);

void load_slang(const std::string& file, std::string_view text, std::vector<SlangEntry>& out,
                std::vector<ContentError>& errors);
void load_entity_values(const std::string& file, std::string_view text,
                        std::vector<EntityValue>& out, std::vector<ContentError>& errors);
void load_supplements(const std::string& file, std::string_view text,
                      std::vector<Supplement>& out, std::vector<ContentError>& errors);
void load_medications(const std::string& file, std::string_view text,
                      std::vector<Medication>& out, std::vector<ContentError>& errors);

void load_dose_rules(const std::string& file, std::string_view text, std::vector<DoseRule>& out,
                     std::vector<ContentError>& errors);
void load_interactions(const std::string& file, std::string_view text,
                       std::vector<Interaction>& out, std::vector<ContentError>& errors);
void load_conditions(const std::string& file, std::string_view text, std::vector<Condition>& out,
                     std::vector<ContentError>& errors);
void load_recommendations(const std::string& file, std::string_view text,
                          std::vector<Recommendation>& out, std::vector<ContentError>& errors);
void load_catalog(const std::string& file, std::string_view text, ProductCatalog& out,
                  std::vector<ContentError>& errors);

// Checks across files (rules name known supplements, ...), once all are loaded.
void check_references(const std::string& dir, const KnowledgeBase& kb,
                      std::vector<ContentError>& errors);

}  // namespace smscoach::content::detail
