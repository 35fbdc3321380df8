#pragma once
// `smscoach serve` in REST reply mode against a fake Messages API, for
// black-box tests.

#include <string>
#include <vector>

namespace smscoach::test {

struct RestModeAccount {
  std::string account_sid;
  std::string auth_token;
  std::string public_url;  // what webhooks are signed for
};

// Quick retries (50 ms backoff) so retry tests finish fast; `extra` last.
inline std::vector<std::string> rest_mode_args(const std::string& db, const std::string& api_base,
                                               const RestModeAccount& account,
                                               std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"serve",
                                   "--listen", "127.0.0.1:0",
                                   "--db", db,
                                   "--reply-mode", "rest",
                                   "--twilio-account-sid", account.account_sid,
                                   "--twilio-auth-token", account.auth_token,
                                   "--public-url", account.public_url,
                                   "--twilio-api-base", api_base,
                                   "--outbox-backoff-ms", "50"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

}  // namespace smscoach::test
