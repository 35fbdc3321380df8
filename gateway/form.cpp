#include "gateway/form.hpp"

#include <optional>

#include "gateway/percent_encoding.hpp"
#include "gateway/utf8.hpp"

namespace smscoach::gateway {

namespace {

// Strict decoding: guessing what a broken escape meant would sign different
// bytes than the sender did.
std::optional<std::string> decode_component(std::string_view text, std::string& reason) {
  auto out = percent_decode(text, BadEscape::fail, &reason);
  if (out && !utf8::is_valid(*out)) {
    reason = "not valid UTF-8";
    return std::nullopt;
  }
  return out;
}

}  // namespace

const std::string* FormFields::find(std::string_view key) const {
  for (const auto& [k, v] : fields) {
    if (k == key) return &v;
  }
  return nullptr;
}

Expected<FormFields> parse_form(std::string_view body) {
  FormFields form;
  const auto pairs = split_pairs(body);
  // Twilio sends about twenty fields: no moving them as the list grows.
  form.fields.reserve(pairs.size());
  std::size_t index = 0;
  for (const RawPair& pair : pairs) {
    ++index;
    std::string reason;
    auto key = decode_component(pair.key, reason);
    if (!key) {
      return make_error(ErrorCode::bad_input,
                        "form field " + std::to_string(index) + ": key " + reason);
    }
    auto value = decode_component(pair.value, reason);
    if (!value) {
      // The key names the field for whoever debugs the sender; a hostile one
      // is cut short so the reply stays small.
      const std::string name = key->size() <= 40 ? *key : key->substr(0, 40) + "...";
      return make_error(ErrorCode::bad_input,
                        "form field " + std::to_string(index) + " (" + name + "): value " + reason);
    }
    form.fields.emplace_back(std::move(*key), std::move(*value));
  }
  return form;
}

}  // namespace smscoach::gateway
