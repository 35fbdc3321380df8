#include "gateway/signature_urls.hpp"

#include <algorithm>
#include <optional>

#include "gateway/ascii.hpp"
#include "gateway/percent_encoding.hpp"

namespace smscoach::gateway {

namespace {

// splitUrl in twilio-node: /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i, the user
// info up to the last '@', and the port from the first ':' after any IPv6 ']'.
struct UrlParts {
  std::string_view scheme;     // "https://"
  std::string_view user_info;  // "user:pass@" or empty
  std::string_view host;
  std::string_view port;  // ":8080" or empty
  std::string_view rest;  // path, query and fragment, untouched
};

bool is_ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }

std::optional<UrlParts> split_url(std::string_view url) {
  if (url.empty() || !is_ascii_alpha(url[0])) return std::nullopt;
  std::size_t i = 1;
  while (i < url.size() && (is_ascii_alpha(url[i]) || is_ascii_digit(url[i]) || url[i] == '+' ||
                            url[i] == '.' || url[i] == '-')) {
    ++i;
  }
  if (url.substr(i, 3) != "://") return std::nullopt;
  UrlParts parts;
  parts.scheme = url.substr(0, i + 3);
  const std::string_view after_scheme = url.substr(i + 3);
  const std::string_view authority = after_scheme.substr(0, after_scheme.find_first_of("/?#"));
  parts.rest = after_scheme.substr(authority.size());

  const std::size_t at = authority.rfind('@');
  const std::size_t host_start = at == std::string_view::npos ? 0 : at + 1;
  parts.user_info = authority.substr(0, host_start);
  const std::string_view host_and_port = authority.substr(host_start);
  const std::size_t bracket = host_and_port.rfind(']');
  const std::size_t colon =
      host_and_port.find(':', bracket == std::string_view::npos ? 0 : bracket + 1);
  parts.host = host_and_port.substr(0, colon);
  parts.port = colon == std::string_view::npos ? std::string_view{} : host_and_port.substr(colon);
  return parts;
}

std::string join(std::string_view scheme, std::string_view user_info, std::string_view host,
                 std::string_view port, std::string_view rest) {
  std::string out;
  out.reserve(scheme.size() + user_info.size() + host.size() + port.size() + rest.size());
  out.append(scheme).append(user_info).append(host).append(port).append(rest);
  return out;
}

// WHATWG percent-encode sets for special (http/https) URLs; all share the C0
// control set (below 0x20, and 0x7F and above).
enum class Component { path, query, fragment };

bool must_encode(unsigned char c, Component component) {
  if (c < 0x20 || c >= 0x7F) return true;
  switch (c) {
    case ' ':
    case '"':
    case '<':
    case '>':
      return true;
    case '#':
      return component != Component::fragment;
    case '?':
    case '{':
    case '}':
      return component == Component::path;
    case '`':
      return component != Component::query;
    case '\'':
      return component == Component::query;
    default:
      return false;
  }
}

void append_encoded(std::string& out, std::string_view text, Component component) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (must_encode(byte, component)) {
      append_percent_escape(out, byte);
    } else {
      out += c;
    }
  }
}

bool is_single_dot(std::string_view segment) {
  return segment == "." || ascii::iequals(segment, "%2e");
}

bool is_double_dot(std::string_view segment) {
  return segment == ".." || ascii::iequals(segment, ".%2e") || ascii::iequals(segment, "%2e.") ||
         ascii::iequals(segment, "%2e%2e");
}

// The WHATWG path state for a special URL: '\' separates like '/', each
// segment is percent-encoded, and "." and ".." segments are resolved.
void append_normalized_path(std::string& out, std::string_view path) {
  if (path.empty()) {
    out += '/';
    return;
  }
  path.remove_prefix(1);  // the leading '/' (or '\')
  std::vector<std::string> segments;
  for (;;) {
    const std::size_t end = path.find_first_of("/\\");
    const bool last = end == std::string_view::npos;
    std::string segment;
    append_encoded(segment, path.substr(0, end), Component::path);
    if (is_double_dot(segment)) {
      if (!segments.empty()) segments.pop_back();
      if (last) segments.emplace_back();
    } else if (is_single_dot(segment)) {
      if (last) segments.emplace_back();
    } else {
      segments.push_back(std::move(segment));
    }
    if (last) break;
    path.remove_prefix(end + 1);
  }
  if (segments.empty()) out += '/';
  for (const std::string& segment : segments) out.append("/").append(segment);
}

// What `new URL(url).toString()` gives for the URLs a webhook is configured
// with; nullopt where Node would throw or where we do not model it.
std::optional<std::string> normalize_url(std::string_view url) {
  // The URL parser strips surrounding C0 controls and spaces and drops every
  // tab and newline before anything else.
  while (!url.empty() && static_cast<unsigned char>(url.front()) <= 0x20) url.remove_prefix(1);
  while (!url.empty() && static_cast<unsigned char>(url.back()) <= 0x20) url.remove_suffix(1);
  std::string cleaned;
  std::copy_if(url.begin(), url.end(), std::back_inserter(cleaned),
               [](char c) { return c != '\t' && c != '\n' && c != '\r'; });

  const auto parts = split_url(cleaned);
  if (!parts) return std::nullopt;
  const std::string scheme = ascii::to_lower(parts->scheme);
  const bool https = scheme == "https://";
  if (!https && scheme != "http://") return std::nullopt;
  if (parts->host.empty()) return std::nullopt;

  std::string port;
  if (parts->port.size() > 1) {
    const std::string_view digits = parts->port.substr(1);
    if (!std::all_of(digits.begin(), digits.end(), is_ascii_digit)) return std::nullopt;
    const std::size_t first = std::min(digits.find_first_not_of('0'), digits.size() - 1);
    const std::string_view number = digits.substr(first);
    if (number.size() > 5 || std::stoul(std::string(number)) > 65535) return std::nullopt;
    if (number != (https ? "443" : "80")) port = ":" + std::string(number);
  }

  std::string rest;
  std::string_view remaining = parts->rest;
  const std::size_t hash = remaining.find('#');
  const std::string_view fragment =
      hash == std::string_view::npos ? std::string_view{} : remaining.substr(hash);
  remaining = remaining.substr(0, hash);
  const std::size_t question = remaining.find('?');
  const std::string_view path = remaining.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view{} : remaining.substr(question);
  append_normalized_path(rest, path);
  if (!query.empty()) {
    rest += '?';
    append_encoded(rest, query.substr(1), Component::query);
  }
  if (!fragment.empty()) {
    rest += '#';
    append_encoded(rest, fragment.substr(1), Component::fragment);
  }
  return join(scheme, parts->user_info, ascii::to_lower(parts->host), port, rest);
}

// twilio-node withLegacyQuerystring: everything after the first '?' goes
// through querystring.parse then querystring.stringify, which groups repeated
// keys at their first position and escapes all but A-Za-z0-9-_.!~*'().
std::string with_legacy_querystring(std::string_view url) {
  const std::size_t question = url.find('?');
  if (question == std::string_view::npos || question + 1 == url.size()) return std::string(url);

  std::vector<std::pair<std::string, std::vector<std::string>>> grouped;
  for (const RawPair& pair : split_pairs(url.substr(question + 1))) {
    std::string key = *percent_decode(pair.key, BadEscape::keep);
    std::string value = *percent_decode(pair.value, BadEscape::keep);
    auto it = std::find_if(grouped.begin(), grouped.end(),
                           [&](const auto& entry) { return entry.first == key; });
    if (it == grouped.end()) {
      grouped.push_back({std::move(key), {std::move(value)}});
    } else {
      it->second.push_back(std::move(value));
    }
  }

  std::string out(url.substr(0, question + 1));
  bool first = true;
  for (const auto& [key, values] : grouped) {
    for (const std::string& value : values) {
      if (!first) out += '&';
      first = false;
      out += querystring_escape(key);
      out += '=';
      out += querystring_escape(value);
    }
  }
  return out;
}

void add_unique(std::vector<std::string>& list, std::string candidate) {
  if (std::find(list.begin(), list.end(), candidate) == list.end()) {
    list.push_back(std::move(candidate));
  }
}

}  // namespace

std::string url_with_default_port(std::string_view url) {
  const auto parts = split_url(url);
  if (!parts || !parts->port.empty()) return std::string(url);
  const bool https = ascii::to_lower(parts->scheme) == "https://";
  return join(parts->scheme, parts->user_info, parts->host, https ? ":443" : ":80", parts->rest);
}

std::string url_without_port(std::string_view url) {
  const auto parts = split_url(url);
  if (!parts) return std::string(url);
  return join(parts->scheme, parts->user_info, parts->host, {}, parts->rest);
}

std::vector<std::string> twilio_signature_url_candidates(std::string_view url) {
  std::vector<std::string> candidates;
  add_unique(candidates, url_without_port(url));
  add_unique(candidates, url_with_default_port(url));
  if (const auto normalized = normalize_url(url)) {
    const std::string without_port = url_without_port(*normalized);
    const std::string with_port = url_with_default_port(*normalized);
    add_unique(candidates, without_port);
    add_unique(candidates, with_port);
    add_unique(candidates, with_legacy_querystring(without_port));
    add_unique(candidates, with_legacy_querystring(with_port));
  }
  return candidates;
}

}  // namespace smscoach::gateway
