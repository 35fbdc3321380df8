#pragma once
// The intent ids of the product contract (SPEC.md). Content may only label
// training text with these; FAQ intents are "faq." + an FAQ entry id.

#include <span>
#include <string_view>

namespace smscoach::content {

inline constexpr std::string_view kFaqPrefix = "faq.";
inline constexpr std::string_view kOutOfScope = "out_of_scope";

// Every non-FAQ intent id, in SPEC order.
std::span<const std::string_view> core_intent_ids();
bool is_core_intent(std::string_view id);

// The FAQ entry ids SPEC names; the shipped knowledge base answers each.
std::span<const std::string_view> contract_faq_ids();

}  // namespace smscoach::content
