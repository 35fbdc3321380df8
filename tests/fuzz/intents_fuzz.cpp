// Understanding a text, on arbitrary bytes: normalize(), the knowledge
// base's tokenizer and entity extractor, and the whole classifier, built
// once from the shipped content/data as the server builds it.
//
// Checks: normalize() gives lower-case ASCII words and numbers separated by
// single spaces and is idempotent; entities stay in their documented ranges;
// the intent is "out_of_scope" or one the knowledge base trains, with a
// confidence in [0, 1]; the ranking is a probability distribution, best
// first.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "content/intent_ids.hpp"
#include "content/loader.hpp"
#include "fuzz_check.hpp"
#include "intents/entity_extractor.hpp"
#include "intents/intent_engine.hpp"
#include "intents/normalize.hpp"
#include "intents/text_normalizer.hpp"

namespace {

namespace intents = smscoach::intents;

struct Shipped {
  smscoach::content::KnowledgeBase kb;
  std::set<std::string, std::less<>> intents;
};

const Shipped& shipped() {
  static const Shipped s = [] {
    auto loaded = smscoach::content::load_knowledge_base(SMSCOACH_CONTENT_DIR);
    if (!loaded.ok()) {
      std::fprintf(stderr, "%s\n", loaded.errors.front().to_string().c_str());
      std::abort();
    }
    Shipped out{std::move(loaded.kb), {}};
    for (const auto& u : out.kb.training_utterances()) out.intents.insert(u.intent);
    out.intents.insert(std::string(smscoach::content::kOutOfScope));
    return out;
  }();
  return s;
}

void check_normalized(std::string_view text) {
  for (const char c : text) {
    FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == ' ');
  }
  FUZZ_CHECK(!text.starts_with(' ') && !text.ends_with(' '));
  FUZZ_CHECK(text.find("  ") == std::string_view::npos);
}

bool in_unit_interval(double p) { return std::isfinite(p) && p >= 0.0 && p <= 1.0; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const intents::TextNormalizer normalizer(shipped().kb);
  static const intents::EntityExtractor extractor(shipped().kb);
  static const intents::IntentEngine engine(shipped().kb);
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const std::string normalized = intents::normalize(text);
  check_normalized(normalized);
  FUZZ_CHECK(intents::normalize(normalized) == normalized);
  std::string joined;
  for (const auto word : intents::split_words(normalized)) {
    FUZZ_CHECK(!word.empty());
    if (!joined.empty()) joined += ' ';
    joined += word;
  }
  FUZZ_CHECK(joined == normalized);

  const auto tokens = normalizer.tokens(text);
  for (const auto& token : tokens) FUZZ_CHECK(!token.empty());
  const intents::Entities entities = extractor.extract(tokens);
  if (entities.weight_kg) {
    FUZZ_CHECK(*entities.weight_kg >= 25.0 && *entities.weight_kg <= 350.0);
    FUZZ_CHECK(entities.weight_unit == "kg" || entities.weight_unit == "lb" ||
               entities.weight_unit == "st");
  }
  if (entities.age_years) FUZZ_CHECK(*entities.age_years >= 5 && *entities.age_years <= 110);
  FUZZ_CHECK(entities.order.empty() || entities.order == "most" || entities.order == "least");

  const intents::Analysis analysis = engine.analyze(text);
  FUZZ_CHECK(shipped().intents.contains(analysis.intent));
  FUZZ_CHECK(in_unit_interval(analysis.confidence));
  FUZZ_CHECK(analysis.tokens == tokens);
  analysis.entities.for_intent(analysis.intent).dump();

  const auto ranked = engine.rank(text);
  FUZZ_CHECK(!ranked.empty());
  double total = 0;
  for (std::size_t i = 0; i < ranked.size(); ++i) {
    FUZZ_CHECK(in_unit_interval(ranked[i].probability));
    if (i > 0) FUZZ_CHECK(ranked[i - 1].probability >= ranked[i].probability);
    total += ranked[i].probability;
  }
  FUZZ_CHECK(std::abs(total - 1.0) < 1e-6);
  return 0;
}
