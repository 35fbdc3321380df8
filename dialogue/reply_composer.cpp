#include "dialogue/reply_composer.hpp"

#include <array>
#include <string>
#include <utility>

#include "content/gsm7.hpp"

namespace smscoach::dialogue {

namespace {

struct Transliteration {
  std::string_view from;
  std::string_view to;
};

constexpr Transliteration kLookAlikes[] = {
    {"\xE2\x80\x98", "'"},   {"\xE2\x80\x99", "'"},   {"\xE2\x80\x9A", "'"},  {"\xE2\x80\x9B", "'"},
    {"\xE2\x80\x9C", "\""},  {"\xE2\x80\x9D", "\""},  {"\xE2\x80\x9E", "\""}, {"\xC2\xAB", "\""},
    {"\xC2\xBB", "\""},      {"\xE2\x80\x93", "-"},   {"\xE2\x80\x94", "-"},  {"\xE2\x80\x92", "-"},
    {"\xE2\x88\x92", "-"},   {"\xE2\x80\xA6", "..."}, {"\xC2\xA0", " "},      {"\xE2\x80\x89", " "},
    {"\xE2\x80\xAF", " "},   {"\xC2\xB4", "'"},       {"`", "'"},             {"\xE2\x80\xA2", "-"},
    {"\xC3\xA7", "c"},       {"\xC3\xA1", "a"},       {"\xC3\xAD", "i"},      {"\xC3\xB3", "o"},
    {"\xC3\xBA", "u"},       {"\xC3\xA2", "a"},       {"\xC3\xAA", "e"},      {"\xC3\xB4", "o"},
    {"\xC3\xA3", "a"},       {"\xC3\xB5", "o"},       {"\xC2\xB0", " deg"},   {"\xC2\xB5", "u"},
};

std::size_t sequence_length(unsigned char b) {
  if (b < 0x80) return 1;
  if ((b >> 5) == 0x6) return 2;
  if ((b >> 4) == 0xE) return 3;
  if ((b >> 3) == 0x1E) return 4;
  return 1;
}

std::size_t septets(std::string_view gsm) { return content::gsm7_septets(gsm).value_or(0); }

// What each ASCII byte becomes: itself, its look-alike, or nothing. Worked
// out once; replies are mostly ASCII, and the general path per character
// cost more than the rest of composing a reply.
struct AsciiTable {
  std::array<std::string, 128> becomes;
  AsciiTable() {
    for (std::size_t c = 0; c < becomes.size(); ++c) {
      const std::string one(1, static_cast<char>(c));
      if (content::gsm7_septets(one)) becomes[c] = one;
      for (const auto& t : kLookAlikes) {
        if (t.from == one) becomes[c] = t.to;
      }
    }
  }
};

std::size_t budget(std::size_t segments) { return segments <= 1 ? 160 : 153 * segments; }

}  // namespace

std::string to_gsm7(std::string_view utf8) {
  static const AsciiTable ascii;
  std::string out;
  out.reserve(utf8.size());
  for (std::size_t i = 0; i < utf8.size();) {
    if (const auto b = static_cast<unsigned char>(utf8[i]); b < 0x80) {
      out += ascii.becomes[b];
      ++i;
      continue;
    }
    const std::size_t len =
        std::min(sequence_length(static_cast<unsigned char>(utf8[i])), utf8.size() - i);
    const std::string_view seq = utf8.substr(i, len);
    i += len;
    bool replaced = false;
    for (const auto& t : kLookAlikes) {
      if (seq == t.from) {
        out += t.to;
        replaced = true;
        break;
      }
    }
    if (replaced) continue;
    if (content::gsm7_septets(seq)) out += seq;  // in the alphabet: keep; otherwise drop
  }
  return out;
}

std::string capitalise_first(std::string text) {
  if (!text.empty() && text[0] >= 'a' && text[0] <= 'z') text[0] = static_cast<char>(text[0] - 'a' + 'A');
  return text;
}

ComposedReply compose_reply(std::string_view text, std::size_t max_segments) {
  ComposedReply reply;
  std::string gsm = to_gsm7(text);
  const std::size_t limit = budget(max_segments);
  if (septets(gsm) <= limit) {
    reply.text = std::move(gsm);
    return reply;
  }
  const std::size_t room = limit - septets(kMoreHint);
  // The longest prefix within room: prefer a sentence end, then a space.
  std::size_t sentence_cut = 0, word_cut = 0, used = 0, fit_end = 0;
  for (std::size_t i = 0; i < gsm.size();) {
    const std::size_t len = std::min(sequence_length(static_cast<unsigned char>(gsm[i])), gsm.size() - i);
    used += septets(std::string_view(gsm).substr(i, len));
    if (used > room) break;
    if (gsm[i] == ' ') {
      word_cut = i;
      if (i > 0 && (gsm[i - 1] == '.' || gsm[i - 1] == '!' || gsm[i - 1] == '?')) sentence_cut = i;
    }
    i += len;
    fit_end = i;
  }
  std::size_t cut = sentence_cut > room / 2 ? sentence_cut : word_cut;
  if (cut == 0) cut = fit_end;  // one unbroken run: cut it anyway, on a character boundary
  reply.text = gsm.substr(0, cut);
  while (!reply.text.empty() && reply.text.back() == ' ') reply.text.pop_back();
  reply.text += kMoreHint;
  std::size_t rest_begin = cut;
  while (rest_begin < gsm.size() && gsm[rest_begin] == ' ') ++rest_begin;
  reply.rest = gsm.substr(rest_begin);
  while (!reply.rest.empty() && reply.rest.back() == ' ') reply.rest.pop_back();
  return reply;
}

}  // namespace smscoach::dialogue
