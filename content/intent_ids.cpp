#include "content/intent_ids.hpp"

#include <algorithm>
#include <array>

namespace smscoach::content {

namespace {
constexpr std::array<std::string_view, 13> kCoreIntents = {
    "opt_out",  "opt_in",          "help",
    "greeting", "thanks",          "human",
    "dose",     "product_compare", "product_recommend",
    "med_safety", "profile_update", "delete_data",
    "out_of_scope"};

constexpr std::array<std::string_view, 21> kFaqIds = {
    "what_is_lean_mass_matrix", "matrix_mechanism",       "matrix_ingredients",
    "matrix_replace_diet",      "matrix_results_time",    "matrix_women",
    "matrix_cycling",           "matrix_bulking",         "what_is_lean_mass",
    "glp1_muscle_loss",         "protein_alone_strength", "low_protein_risk",
    "best_exercise_lean_mass",  "weak_when_dieting",      "trt_without_training",
    "trt_muscle_gain",          "creatine_lean_mass",     "igf1_muscle",
    "igf1_safety",              "training_brain",         "overtraining_risk"};
}  // namespace

std::span<const std::string_view> core_intent_ids() { return kCoreIntents; }

bool is_core_intent(std::string_view id) {
  return std::find(kCoreIntents.begin(), kCoreIntents.end(), id) != kCoreIntents.end();
}

std::span<const std::string_view> contract_faq_ids() { return kFaqIds; }

}  // namespace smscoach::content
