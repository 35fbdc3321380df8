#include "intents/intent_classifier.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <stdexcept>

namespace smscoach::intents {

namespace {

// Counts per distinct feature, scaled to unit length, so long texts do not
// shout over short ones.
template <class RowOf>
void build_input(const FeatureList& features, RowOf&& row_of, std::vector<std::uint32_t>& rows,
                 std::vector<float>& values) {
  std::vector<std::uint32_t> sorted(features);
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t j = i;
    while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
    if (auto row = row_of(sorted[i]); row >= 0) {
      rows.push_back(static_cast<std::uint32_t>(row));
      values.push_back(static_cast<float>(j - i));
    }
    i = j;
  }
  double norm = 0;
  for (float v : values) norm += static_cast<double>(v) * v;
  if (norm > 0) {
    const auto inv = static_cast<float>(1.0 / std::sqrt(norm));
    for (float& v : values) v *= inv;
  }
}

void softmax(std::vector<double>& z) {
  const double m = *std::max_element(z.begin(), z.end());
  double sum = 0;
  for (double& v : z) {
    v = std::exp(v - m);
    sum += v;
  }
  for (double& v : z) v /= sum;
}

}  // namespace

IntentClassifier::SparseInput IntentClassifier::to_input(
    const FeatureList& features, std::unordered_map<std::uint32_t, std::uint32_t>& row_of) {
  SparseInput x;
  build_input(features,
              [&](std::uint32_t f) -> long {
                const auto row = static_cast<std::uint32_t>(row_of.size());
                return row_of.emplace(f, row).first->second;
              },
              x.rows, x.values);
  return x;
}

IntentClassifier::SparseInput IntentClassifier::to_input(const FeatureList& features) const {
  SparseInput x;
  build_input(features, [&](std::uint32_t f) { return rows_.find(f); }, x.rows, x.values);
  return x;
}

void IntentClassifier::scores(const SparseInput& x, std::vector<double>& out) const {
  const std::size_t k = classes_.size();
  out.assign(bias_.begin(), bias_.end());
  for (std::size_t i = 0; i < x.rows.size(); ++i) {
    const float* w = &weights_[static_cast<std::size_t>(x.rows[i]) * k];
    const double v = x.values[i];
    for (std::size_t c = 0; c < k; ++c) out[c] += v * w[c];
  }
}

IntentClassifier::IntentClassifier(const std::vector<FeatureList>& examples,
                                   const std::vector<std::string>& labels,
                                   ClassifierOptions options) {
  if (examples.size() != labels.size() || examples.empty()) {
    throw std::invalid_argument("classifier needs one label per example and at least one example");
  }
  std::map<std::string, std::size_t> class_index;
  for (const auto& l : labels) class_index.emplace(l, 0);
  for (auto& [name, index] : class_index) {
    index = classes_.size();
    classes_.push_back(name);
  }
  const std::size_t k = classes_.size();

  std::vector<SparseInput> inputs;
  std::vector<std::size_t> targets;
  inputs.reserve(examples.size());
  std::unordered_map<std::uint32_t, std::uint32_t> row_of;
  for (std::size_t i = 0; i < examples.size(); ++i) {
    inputs.push_back(to_input(examples[i], row_of));
    targets.push_back(class_index.at(labels[i]));
  }
  rows_ = FeatureRows(row_of);
  weights_.assign(rows_.size() * k, 0.0f);
  bias_.assign(k, 0.0f);

  std::vector<std::size_t> order(inputs.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937 rng(options.seed);
  std::vector<double> p;
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    // Step size shrinks as the model settles.
    const double lr = options.learning_rate / (1.0 + 0.1 * epoch);
    for (std::size_t idx : order) {
      const auto& x = inputs[idx];
      scores(x, p);
      softmax(p);
      p[targets[idx]] -= 1.0;  // gradient of cross-entropy wrt the scores
      for (std::size_t c = 0; c < k; ++c) bias_[c] -= static_cast<float>(lr * p[c]);
      for (std::size_t i = 0; i < x.rows.size(); ++i) {
        float* w = &weights_[static_cast<std::size_t>(x.rows[i]) * k];
        const double v = x.values[i];
        for (std::size_t c = 0; c < k; ++c) {
          w[c] -= static_cast<float>(lr * (p[c] * v + options.l2 * w[c]));
        }
      }
    }
  }
}

std::vector<ScoredIntent> IntentClassifier::predict(const FeatureList& features) const {
  std::vector<double> p;
  scores(to_input(features), p);
  softmax(p);
  std::vector<ScoredIntent> out;
  out.reserve(p.size());
  for (std::size_t c = 0; c < p.size(); ++c) out.push_back({classes_[c], p[c]});
  std::sort(out.begin(), out.end(), [](const ScoredIntent& a, const ScoredIntent& b) {
    return a.probability > b.probability;
  });
  return out;
}

ScoredIntent IntentClassifier::best(const FeatureList& features) const {
  std::vector<double> p;
  scores(to_input(features), p);
  softmax(p);
  const auto top = static_cast<std::size_t>(std::max_element(p.begin(), p.end()) - p.begin());
  return {classes_[top], p[top]};
}

}  // namespace smscoach::intents
