#include "gateway/signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <utility>
#include <vector>

#include "gateway/signature_urls.hpp"

namespace smscoach::gateway {

namespace {

std::string hmac_sha1_base64(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_length = 0;
  // The one-shot HMAC() is not deprecated in OpenSSL 3 (HMAC_CTX is).
  if (HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(),
           &digest_length) == nullptr) {
    // Only an allocation failure inside OpenSSL gets here.
    throw std::runtime_error("HMAC-SHA1 failed");
  }
  std::string encoded(4 * ((digest_length + 2) / 3), '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                      digest.data(), static_cast<int>(digest_length));
  encoded.resize(static_cast<std::size_t>(written));
  return encoded;
}

// What follows the URL in the signed string; it does not depend on the URL,
// so it is built once per request however many URL spellings are tried.
std::string signed_params(const FormFields& params) {
  std::vector<std::pair<std::string_view, std::string_view>> sorted;
  sorted.reserve(params.fields.size());
  for (const auto& [key, value] : params.fields) sorted.emplace_back(key, value);
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());

  std::string out;
  for (const auto& [key, value] : sorted) out.append(key).append(value);
  return out;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  // The length of a signature is fixed by the algorithm, not secret.
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string twilio_signature(std::string_view auth_token, std::string_view url,
                             const FormFields& params) {
  return hmac_sha1_base64(auth_token, std::string(url) + signed_params(params));
}

bool validate_twilio_signature(std::string_view auth_token, std::string_view header_value,
                               std::string_view url, const FormFields& params) {
  if (auth_token.empty() || header_value.empty()) return false;
  const std::string suffix = signed_params(params);
  for (const std::string& candidate : twilio_signature_url_candidates(url)) {
    if (equal_constant_time(hmac_sha1_base64(auth_token, candidate + suffix), header_value)) {
      return true;
    }
  }
  return false;
}

}  // namespace smscoach::gateway
