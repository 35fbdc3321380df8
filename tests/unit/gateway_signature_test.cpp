#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "gateway/signature.hpp"
#include "gateway/signature_urls.hpp"

using namespace smscoach::gateway;

namespace {

struct Vector {
  std::string note, auth_token, url, signature;
  FormFields params;
  bool valid = false;
  bool exact = false;
};

// Generated with the official twilio@6.2.0 package (getExpectedTwilioSignature
// and validateRequest); the reference vectors of sms-protocol.md 2.4 are
// checked against it as they are generated.
std::vector<Vector> load_vectors() {
  std::ifstream in(SMSCOACH_GATEWAY_SIGNATURE_VECTORS);
  REQUIRE(in.good());
  const auto json = nlohmann::json::parse(in);
  std::vector<Vector> out;
  for (const auto& item : json) {
    Vector v;
    v.note = item.at("note");
    v.auth_token = item.at("auth_token");
    v.url = item.at("url");
    v.signature = item.at("signature");
    v.valid = item.at("valid");
    v.exact = item.value("exact", false);
    for (const auto& pair : item.at("params")) v.params.fields.emplace_back(pair.at(0), pair.at(1));
    out.push_back(std::move(v));
  }
  return out;
}

const FormFields kCall{{{"CallSid", "CA1234567890ABCDE"},
                        {"Caller", "+14158675309"},
                        {"Digits", "1234"},
                        {"From", "+14158675309"},
                        {"To", "+18005551212"}}};
const std::string kUrl = "https://mycompany.com/myapp.php?foo=1&bar=2";
const std::string kSignature = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";

}  // namespace

TEST_CASE("signature vectors validate as twilio-node says", "[gateway][signature]") {
  const auto vectors = load_vectors();
  REQUIRE(vectors.size() >= 30);
  std::size_t valid = 0, invalid = 0, exact = 0;
  for (const auto& v : vectors) {
    INFO(v.note << ": " << v.url);
    CHECK(validate_twilio_signature(v.auth_token, v.signature, v.url, v.params) == v.valid);
    (v.valid ? valid : invalid)++;
    if (v.exact) {
      CHECK(twilio_signature(v.auth_token, v.url, v.params) == v.signature);
      ++exact;
    }
  }
  // The file must keep exercising both answers and the signer itself.
  CHECK(valid >= 10);
  CHECK(invalid >= 8);
  CHECK(exact >= 10);
}

TEST_CASE("twilio_signature matches the published twilio-python vector", "[gateway][signature]") {
  CHECK(twilio_signature("12345", kUrl, kCall) == kSignature);
  // Parameter order on the wire does not matter; keys are sorted.
  FormFields reversed{{kCall.fields.rbegin(), kCall.fields.rend()}};
  CHECK(twilio_signature("12345", kUrl, reversed) == kSignature);
}

TEST_CASE("twilio_signature sorts and de-duplicates repeated values", "[gateway][signature]") {
  const FormFields a{{{"A", "b"}, {"A", "a"}, {"A", "b"}}};
  const FormFields b{{{"A", "a"}, {"A", "b"}}};
  CHECK(twilio_signature("12345", "https://example.com/sms", a) == "x28T6FoynC50mf0NgLQZ7+A/HfM=");
  CHECK(twilio_signature("12345", "https://example.com/sms", b) == "x28T6FoynC50mf0NgLQZ7+A/HfM=");
}

TEST_CASE("validate_twilio_signature rejects forgeries", "[gateway][signature]") {
  REQUIRE(validate_twilio_signature("12345", kSignature, kUrl, kCall));

  SECTION("a tampered parameter") {
    FormFields tampered = kCall;
    tampered.fields[2].second = "1235";
    CHECK_FALSE(validate_twilio_signature("12345", kSignature, kUrl, tampered));
  }
  SECTION("a dropped parameter") {
    FormFields dropped = kCall;
    dropped.fields.pop_back();
    CHECK_FALSE(validate_twilio_signature("12345", kSignature, kUrl, dropped));
  }
  SECTION("the wrong token") {
    CHECK_FALSE(validate_twilio_signature("12346", kSignature, kUrl, kCall));
    // The thread keeps its last key: the right one must still work after it.
    CHECK(validate_twilio_signature("12345", kSignature, kUrl, kCall));
    CHECK_FALSE(validate_twilio_signature("1234", kSignature, kUrl, kCall));
  }
  SECTION("an empty header or token") {
    CHECK_FALSE(validate_twilio_signature("12345", "", kUrl, kCall));
    CHECK_FALSE(validate_twilio_signature("", twilio_signature("", kUrl, kCall), kUrl, kCall));
  }
  SECTION("another URL") {
    CHECK_FALSE(validate_twilio_signature("12345", kSignature, kUrl + "&x=1", kCall));
    CHECK_FALSE(validate_twilio_signature("12345", kSignature,
                                          "http://mycompany.com/myapp.php?foo=1&bar=2", kCall));
  }
  SECTION("a signature one character off or truncated") {
    std::string off = kSignature;
    off[5] = off[5] == 'A' ? 'B' : 'A';
    CHECK_FALSE(validate_twilio_signature("12345", off, kUrl, kCall));
    CHECK_FALSE(validate_twilio_signature("12345", kSignature.substr(0, 27), kUrl, kCall));
  }
}

TEST_CASE("validate_twilio_signature accepts the URL with or without its port",
          "[gateway][signature]") {
  const std::string with_443 = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
  const std::string signed_with_443 = twilio_signature("12345", with_443, kCall);
  REQUIRE(signed_with_443 == "kvajT1Ptam85bY51eRf/AJRuM3w=");
  CHECK(validate_twilio_signature("12345", signed_with_443, kUrl, kCall));
  CHECK(validate_twilio_signature("12345", kSignature, with_443, kCall));
  // removePort strips any port, so a URL with another port still matches the
  // portless signature, but a signature with :8080 cannot be guessed.
  CHECK(validate_twilio_signature("12345", kSignature,
                                  "https://mycompany.com:1234/myapp.php?foo=1&bar=2", kCall));
  const std::string signed_8080 =
      twilio_signature("12345", "https://mycompany.com:8080/myapp.php?foo=1&bar=2", kCall);
  CHECK_FALSE(validate_twilio_signature("12345", signed_8080, kUrl, kCall));
}

TEST_CASE("url_with_default_port and url_without_port follow twilio-node", "[gateway][signature]") {
  CHECK(url_with_default_port("https://h.example/p?q=1") == "https://h.example:443/p?q=1");
  CHECK(url_with_default_port("http://h.example/p") == "http://h.example:80/p");
  CHECK(url_with_default_port("HTTPS://h.example") == "HTTPS://h.example:443");
  CHECK(url_with_default_port("https://h.example:8443/p") == "https://h.example:8443/p");
  CHECK(url_with_default_port("https://u:pw@h.example/p") == "https://u:pw@h.example:443/p");
  CHECK(url_with_default_port("https://[::1]/p") == "https://[::1]:443/p");
  CHECK(url_with_default_port("/no/scheme") == "/no/scheme");

  CHECK(url_without_port("https://h.example:443/p") == "https://h.example/p");
  CHECK(url_without_port("http://h.example:8080/p:x") == "http://h.example/p:x");
  CHECK(url_without_port("https://u:pw@h.example:1/p") == "https://u:pw@h.example/p");
  CHECK(url_without_port("https://[::1]:8443/p") == "https://[::1]/p");
  CHECK(url_without_port("https://h.example/p") == "https://h.example/p");
}

TEST_CASE("signature URL candidates: as received first, then normalised", "[gateway][signature]") {
  CHECK(twilio_signature_url_candidates("https://h.example/sms") ==
        std::vector<std::string>{"https://h.example/sms", "https://h.example:443/sms"});
  CHECK(twilio_signature_url_candidates("https://H.example:443/sms?m=it's") ==
        std::vector<std::string>{
            "https://H.example/sms?m=it's", "https://H.example:443/sms?m=it's",
            "https://h.example/sms?m=it%27s", "https://h.example:443/sms?m=it%27s",
            "https://h.example/sms?m=it's", "https://h.example:443/sms?m=it's"});
  // Dot segments and backslashes are resolved as new URL() does.
  const auto dots = twilio_signature_url_candidates("https://h.example/a/./b/../c\\d");
  CHECK(std::find(dots.begin(), dots.end(), "https://h.example/a/c/d") != dots.end());
  // Not a URL Node can parse: only the as-received candidates.
  CHECK(twilio_signature_url_candidates("https://h.example:99999/sms").size() == 2);
}
