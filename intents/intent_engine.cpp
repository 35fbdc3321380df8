#include "intents/intent_engine.hpp"

#include <algorithm>

#include "content/intent_ids.hpp"

namespace smscoach::intents {

namespace {

// Incremental FNV-1a, so features hash without building strings.
class FeatureHash {
 public:
  explicit FeatureHash(char kind) { add(kind); }
  FeatureHash& add(char c) {
    h_ ^= static_cast<unsigned char>(c);
    h_ *= 16777619u;
    return *this;
  }
  FeatureHash& add(std::string_view s) {
    for (char c : s) add(c);
    return *this;
  }
  std::uint32_t value() const { return h_; }

 private:
  std::uint32_t h_ = 2166136261u;
};

bool has_digit(std::string_view w) {
  return std::any_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// What an entity word stands for in the generalised sequence: "is creatine ok
// with zoloft" and "is fish oil ok with eliquis" share "<supplement> ok with <medication>".
std::string_view placeholder(int kind) {
  switch (kind) {
    case EntityExtractor::kSupplement: return "<supplement>";
    case EntityExtractor::kMedication: return "<medication>";
    case EntityExtractor::kGoal: return "<goal>";
    case EntityExtractor::kCategory: return "<category>";
    case EntityExtractor::kOrder: return "<order>";
    case EntityExtractor::kCondition: return "<condition>";
    default: return "<entity>";
  }
}

}  // namespace

FeatureList IntentEngine::features(const std::vector<std::string>& tokens,
                                   const std::vector<PhraseHit>& hits) const {
  FeatureList f;
  f.reserve(tokens.size() * 12 + 8);

  // The generalised sequence: entity phrases and numbers replaced by their kind.
  std::vector<std::string_view> general;
  general.reserve(tokens.size() + 2);
  general.push_back("^");
  std::size_t next_hit = 0;
  for (std::size_t i = 0; i < tokens.size();) {
    while (next_hit < hits.size() && hits[next_hit].begin < i) ++next_hit;
    if (next_hit < hits.size() && hits[next_hit].begin == i) {
      // Medications outrank the other kinds when one phrase is several.
      const PhraseHit* chosen = &hits[next_hit];
      for (std::size_t h = next_hit; h < hits.size() && hits[h].begin == i; ++h) {
        if (hits[h].kind == EntityExtractor::kMedication) chosen = &hits[h];
      }
      general.push_back(placeholder(chosen->kind));
      f.push_back(FeatureHash('e').add(placeholder(chosen->kind)).value());
      i = chosen->end;
      continue;
    }
    general.push_back(has_digit(tokens[i]) ? std::string_view("<number>") : tokens[i]);
    ++i;
  }
  general.push_back("$");

  for (const auto& t : tokens) {
    if (has_digit(t)) continue;
    f.push_back(FeatureHash('w').add(t).value());
    // Character 3- and 4-grams carry typos the corrector did not know ("musle").
    const std::string padded = "#" + t + "#";
    for (std::size_t n = options_.features.char_ngram_min; n <= options_.features.char_ngram_max;
         ++n) {
      for (std::size_t k = 0; k + n <= padded.size(); ++k) {
        f.push_back(FeatureHash('c').add(std::string_view(padded).substr(k, n)).value());
      }
    }
  }
  for (std::size_t i = 1; i + 1 < general.size(); ++i) {
    if (general[i].front() == '<') f.push_back(FeatureHash('w').add(general[i]).value());
  }
  for (std::size_t i = 0; i + 1 < general.size(); ++i) {
    f.push_back(FeatureHash('b').add(general[i]).add(' ').add(general[i + 1]).value());
  }
  if (options_.features.word_pairs) {
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
      f.push_back(FeatureHash('p').add(tokens[i]).add(' ').add(tokens[i + 1]).value());
    }
  }
  // Texts that name nothing the line knows about lean out of scope; a weight
  // leans to dose or profile_update.
  if (hits.empty()) f.push_back(FeatureHash('x').add("no_entity").value());
  if (parse_weight_kg(tokens)) f.push_back(FeatureHash('e').add("<weight>").value());
  // Very short texts ("thx", "hi", "stop it") behave differently from questions.
  f.push_back(FeatureHash('l').add(static_cast<char>('0' + std::min<std::size_t>(tokens.size(), 6))).value());
  return f;
}

IntentClassifier IntentEngine::train(const content::KnowledgeBase& kb, const IntentEngine& engine,
                                     const ClassifierOptions& options) {
  std::vector<FeatureList> examples;
  std::vector<std::string> labels;
  for (const auto& u : kb.training_utterances()) {
    const auto tokens = engine.normalizer_.tokens(u.text);
    examples.push_back(engine.features(tokens, engine.extractor_.find_phrases(tokens)));
    labels.push_back(u.intent);
  }
  return IntentClassifier(examples, labels, options);
}

IntentEngine::IntentEngine(const content::KnowledgeBase& kb, EngineOptions options)
    : normalizer_(kb),
      extractor_(kb),
      options_(options),
      classifier_(train(kb, *this, options.classifier)) {}

namespace {

bool is_safety_word(std::string_view w) {
  static constexpr std::string_view kWords[] = {
      "safe",    "safely", "ok",      "okay",         "fine",       "interact", "interaction",
      "interactions", "mix", "mixing", "combine",    "combining",  "worry",    "risk",
      "risky",   "dangerous", "problem",      "problems",   "conflict", "affect"};
  return std::find(std::begin(kWords), std::end(kWords), w) != std::end(kWords);
}

// A medication or escalating condition named together with a supplement, a
// product or a safety word is a medication-safety question whatever else it says: the one mistake this
// line must not make is to answer it like a dose or product question.
bool is_medication_question(const Analysis& a) {
  if (a.entities.medications.empty() && a.entities.conditions.empty()) return false;
  if (!a.entities.substances.empty() || !a.entities.category.empty()) return true;
  return std::any_of(a.tokens.begin(), a.tokens.end(), is_safety_word);
}

}  // namespace

Analysis IntentEngine::analyze(std::string_view text) const {
  Analysis a;
  a.tokens = normalizer_.tokens(text);
  const auto hits = extractor_.find_phrases(a.tokens);
  a.entities = extractor_.from_hits(a.tokens, hits);
  if (a.tokens.empty()) {
    a.intent = std::string(content::kOutOfScope);
    a.confidence = 1.0;
    return a;
  }
  const auto best = classifier_.best(features(a.tokens, hits));
  if (is_medication_question(a)) {
    a.intent = "med_safety";
    a.confidence = std::max(best.intent == "med_safety" ? best.probability : 0.0, 0.9);
  } else if (best.probability < options_.min_confidence) {
    a.intent = std::string(content::kOutOfScope);
    a.confidence = 1.0 - best.probability;
  } else {
    a.intent = best.intent;
    a.confidence = best.probability;
  }
  return a;
}

std::vector<ScoredIntent> IntentEngine::rank(std::string_view text) const {
  const auto tokens = normalizer_.tokens(text);
  return classifier_.predict(features(tokens, extractor_.find_phrases(tokens)));
}

}  // namespace smscoach::intents
