// The knowledge-base loader on arbitrary file contents, one file through
// its own loader (content/loader_parts.hpp). The first byte picks the file
// (its value modulo 9, so '0' to '8' in the seeds):
//   0 slang.jsonl   1 entity_values.jsonl  2 supplements.jsonl  3 medications.jsonl
//   4 dose_rules.jsonl  5 interactions.jsonl  6 conditions.jsonl  7 products.json
//   8 recommendations.jsonl
// and the rest is that file. It is loaded into a copy of the shipped
// knowledge base, and when it loads clean the cross-file checks run on that.
// (program, faq and intents have no loader of their own: content_dir_fuzz.)
//
// Checks: the loader reports problems, it never throws; every error names
// the file, a line within it (0: the whole file) and a reason; no more
// records load than the file has lines.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "content/loader.hpp"
#include "content/loader_parts.hpp"
#include "fuzz_check.hpp"

namespace {

namespace content = smscoach::content;

const content::KnowledgeBase& shipped_kb() {
  static const content::KnowledgeBase kb = [] {
    auto loaded = content::load_knowledge_base(SMSCOACH_CONTENT_DIR);
    if (!loaded.ok()) {
      std::fprintf(stderr, "%s\n", loaded.errors.front().to_string().c_str());
      std::abort();
    }
    return std::move(loaded.kb);
  }();
  return kb;
}

// The lines a loader can point at: 1..count, or 0.
int line_count(std::string_view text) {
  int lines = 1;
  for (const char c : text) lines += c == '\n';
  return lines;
}

void check_errors(const std::vector<content::ContentError>& errors, int lines) {
  for (const auto& error : errors) {
    FUZZ_CHECK(!error.file.empty());
    FUZZ_CHECK(error.line >= 0 && error.line <= lines);
    FUZZ_CHECK(!error.message.empty());
    error.to_string();
  }
}

template <class Part, class Loader>
void load_part(const std::string& name, std::string_view text, Part content::KnowledgeBase::*part,
               Loader loader) {
  const std::string file = std::string("data/") + name;
  Part loaded{};
  std::vector<content::ContentError> errors;
  loader(file, text, loaded, errors);
  check_errors(errors, line_count(text));
  for (const auto& error : errors) FUZZ_CHECK(error.file == file);
  if constexpr (requires { loaded.size(); }) {
    FUZZ_CHECK(loaded.size() <= static_cast<std::size_t>(line_count(text)));
  }
  if (!errors.empty()) return;
  // With the rest of the shipped files: do its names resolve? (Copied only
  // here: most inputs stop above, and the copy costs more than the loading.)
  content::KnowledgeBase kb = shipped_kb();
  kb.*part = std::move(loaded);
  content::detail::check_references("data", kb, errors);
  check_errors(errors, 100000);  // lines of the shipped files, too
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace d = content::detail;
  using KB = content::KnowledgeBase;
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 9) {
    case 0:
      load_part("slang.jsonl", text, &KB::slang, d::load_slang);
      break;
    case 1:
      load_part("entity_values.jsonl", text, &KB::entity_values, d::load_entity_values);
      break;
    case 2:
      load_part("supplements.jsonl", text, &KB::supplements, d::load_supplements);
      break;
    case 3:
      load_part("medications.jsonl", text, &KB::medications, d::load_medications);
      break;
    case 4:
      load_part("dose_rules.jsonl", text, &KB::dose_rules, d::load_dose_rules);
      break;
    case 5:
      load_part("interactions.jsonl", text, &KB::interactions, d::load_interactions);
      break;
    case 6:
      load_part("conditions.jsonl", text, &KB::conditions, d::load_conditions);
      break;
    case 7:
      load_part("products.json", text, &KB::catalog, d::load_catalog);
      break;
    default:
      load_part("recommendations.jsonl", text, &KB::recommendations, d::load_recommendations);
      break;
  }
  return 0;
}
