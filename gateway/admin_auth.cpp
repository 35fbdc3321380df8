#include "gateway/admin_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "gateway/ascii.hpp"

namespace smscoach::gateway {

namespace {

constexpr std::size_t kMaxNameLength = 64;
constexpr std::size_t kMinTokenLength = 16;
// Far beyond any generated secret; keeps a pasted file from becoming a token.
constexpr std::size_t kMaxTokenLength = 1024;

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

std::optional<Role> parse_role(std::string_view text) {
  if (text == "viewer") return Role::viewer;
  if (text == "operator") return Role::operator_;
  if (text == "admin") return Role::admin;
  return std::nullopt;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

AdminAuth::Digest sha256(std::string_view text) {
  AdminAuth::Digest digest{};
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != digest.size()) {
    // Only an allocation failure inside OpenSSL gets here.
    throw std::runtime_error("SHA-256 failed");
  }
  return digest;
}

bool constant_time_equal(const AdminAuth::Digest& a, const AdminAuth::Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string_view role_name(Role role) {
  switch (role) {
    case Role::viewer:
      return "viewer";
    case Role::operator_:
      return "operator";
    case Role::admin:
      return "admin";
  }
  return "viewer";
}

std::string actor_of(const AdminToken& token) {
  return std::string(role_name(token.role)) + ":" + token.name;
}

Expected<AdminToken> parse_admin_token(std::string_view spec) {
  const auto first_colon = spec.find(':');
  const auto second_colon =
      first_colon == std::string_view::npos ? first_colon : spec.find(':', first_colon + 1);
  if (second_colon == std::string_view::npos) {
    return make_error(ErrorCode::bad_input, "expected ROLE:NAME:TOKEN");
  }
  const std::string_view role_text = spec.substr(0, first_colon);
  const std::string_view name = spec.substr(first_colon + 1, second_colon - first_colon - 1);
  const std::string_view token = spec.substr(second_colon + 1);

  const auto role = parse_role(role_text);
  if (!role) {
    return make_error(ErrorCode::bad_input, "unknown role \"" +
                                                std::string(role_text.substr(0, 32)) +
                                                "\": expected viewer, operator or admin");
  }
  if (name.empty() || name.size() > kMaxNameLength ||
      !std::all_of(name.begin(), name.end(), is_name_char)) {
    return make_error(ErrorCode::bad_input, "name must be 1-64 characters of A-Z a-z 0-9 . _ -");
  }
  // The token is a secret: no message below repeats any of it.
  if (token.size() < kMinTokenLength || token.size() > kMaxTokenLength) {
    return make_error(ErrorCode::bad_input,
                      "token of " + std::string(name) + " must be 16 to 1024 characters long");
  }
  for (const char c : token) {
    if (c <= ' ' || c > '~') {
      return make_error(ErrorCode::bad_input, "token of " + std::string(name) +
                                                  " must be printable ASCII without spaces");
    }
  }
  return AdminToken{*role, std::string(name), std::string(token)};
}

Expected<std::vector<AdminToken>> parse_admin_tokens_file(std::string_view text,
                                                          std::string_view file_name) {
  std::vector<AdminToken> tokens;
  std::vector<std::size_t> line_of;  // parallel to tokens, for duplicate reports
  std::size_t line_number = 0;
  while (!text.empty()) {
    const auto newline = text.find('\n');
    const std::string_view line = trim(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;

    const std::string where = std::string(file_name) + ":" + std::to_string(line_number) + ": ";
    auto parsed = parse_admin_token(line);
    if (!parsed) return make_error(ErrorCode::bad_input, where + parsed.error().message);
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      if (tokens[i].token == parsed->token) {
        return make_error(ErrorCode::bad_input,
                          where + "same token as line " + std::to_string(line_of[i]));
      }
    }
    tokens.push_back(std::move(*parsed));
    line_of.push_back(line_number);
  }
  if (tokens.empty()) {
    return make_error(ErrorCode::bad_input, std::string(file_name) + ": no tokens");
  }
  return tokens;
}

std::optional<std::string_view> bearer_token(std::string_view authorization_header) {
  constexpr std::string_view kScheme = "bearer";
  const std::string_view value = trim(authorization_header);
  if (value.size() <= kScheme.size() || !ascii::iequals(value.substr(0, kScheme.size()), kScheme) ||
      (value[kScheme.size()] != ' ' && value[kScheme.size()] != '\t')) {
    return std::nullopt;
  }
  const std::string_view token = trim(value.substr(kScheme.size()));
  if (token.empty() || token.find_first_of(" \t") != std::string_view::npos) return std::nullopt;
  return token;
}

AdminAuth::AdminAuth(std::vector<AdminToken> tokens, DigestEqual equal)
    : equal_(equal ? std::move(equal) : DigestEqual(constant_time_equal)) {
  entries_.reserve(tokens.size());
  for (auto& token : tokens) {
    Digest digest = sha256(token.token);
    for (const Entry& entry : entries_) {
      if (entry.digest == digest) {
        throw std::invalid_argument("admin tokens of " + entry.token.name + " and " + token.name +
                                    " are the same");
      }
    }
    entries_.push_back({std::move(token), digest});
  }
}

std::optional<AdminToken> AdminAuth::authenticate(std::string_view authorization_header) const {
  const auto given = bearer_token(authorization_header);
  if (!given) return std::nullopt;
  // Hashing first makes every comparison the same length whatever was sent.
  const Digest digest = sha256(*given);
  const Entry* match = nullptr;
  for (const Entry& entry : entries_) {
    // No early exit, and no branch on the result beyond remembering it.
    const bool equal = equal_(entry.digest, digest);
    if (equal) match = &entry;
  }
  if (match == nullptr) return std::nullopt;
  return match->token;
}

}  // namespace smscoach::gateway
