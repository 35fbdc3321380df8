#pragma once
// A list of strings as the JSON text the store keeps in one column
// (medications, conditions, a turn's replies), written without building a
// JSON document: every turn writes three of them, and nlohmann's document
// and serializer cost about 10k instructions a turn. Invalid UTF-8 goes
// through nlohmann, which refuses it.

#include <string>
#include <vector>

namespace smscoach::dialogue {

// The same text nlohmann::json(list).dump() gives; throws as it does.
std::string json_list_text(const std::vector<std::string>& list);

}  // namespace smscoach::dialogue
