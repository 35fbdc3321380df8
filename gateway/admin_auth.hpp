#pragma once
// Who may use the admin API: bearer tokens, each with a role and the name of
// the person it belongs to (the name is what the audit log records).

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.hpp"

namespace smscoach::gateway {

// Ordered: each role may do everything the roles below it may.
enum class Role { viewer, operator_, admin };

// "viewer", "operator" or "admin".
std::string_view role_name(Role role);

struct AdminToken {
  Role role = Role::viewer;
  std::string name;   // 1-64 of [A-Za-z0-9._-]
  std::string token;  // the secret: 16-1024 printable ASCII characters, no spaces
};

// "operator:NAME" or "admin:NAME" (and "viewer:NAME", which only audit
// entries for reads such as an export carry): who did it, for the audit log.
std::string actor_of(const AdminToken& token);

// "ROLE:NAME:TOKEN", as --admin-token takes it. The token may itself contain
// ':'. Fails with ErrorCode::bad_input and a reason that never quotes the token.
Expected<AdminToken> parse_admin_token(std::string_view spec);

// A tokens file: one ROLE:NAME:TOKEN a line; blank lines and lines starting
// with '#' are skipped, surrounding spaces and a CR ignored. Errors read
// "FILE:LINE: reason". A token given twice is an error (two people could not
// be told apart); so is a file with no tokens.
Expected<std::vector<AdminToken>> parse_admin_tokens_file(std::string_view text,
                                                          std::string_view file_name);

// The token of an "Authorization: Bearer TOKEN" value (scheme case-insensitive,
// surrounding spaces ignored); nullopt when the header is not of that form.
std::optional<std::string_view> bearer_token(std::string_view authorization_header);

class AdminAuth {
 public:
  using Digest = std::array<unsigned char, 32>;  // SHA-256
  // Compares two digests. The default is OpenSSL's CRYPTO_memcmp, whose time
  // does not depend on where they differ; tests substitute a counting one.
  using DigestEqual = std::function<bool(const Digest&, const Digest&)>;

  // Throws std::invalid_argument when two entries share a token: a start-up
  // configuration error.
  explicit AdminAuth(std::vector<AdminToken> tokens, DigestEqual equal = {});

  // The token an Authorization header carries, or nullopt. The given token is
  // hashed and its digest compared with every known digest, with no early
  // exit, so neither which token matched nor how much of one matched shows in
  // the time taken.
  std::optional<AdminToken> authenticate(std::string_view authorization_header) const;

  bool empty() const { return entries_.empty(); }

 private:
  struct Entry {
    AdminToken token;
    Digest digest;
  };
  std::vector<Entry> entries_;
  DigestEqual equal_;
};

}  // namespace smscoach::gateway
