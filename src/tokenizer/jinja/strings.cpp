#include "tokenizer/jinja/strings.h"

#include <algorithm>

#include "tokenizer/jinja/utf8.h"

namespace occam::jinja {
namespace {

template <typename F>
std::string map_code_points(std::string_view s, F f) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) utf8_append(out, f(utf8_decode(s, pos)));
  return out;
}

bool in_chars(char32_t cp, const std::vector<char32_t>& chars) {
  return std::find(chars.begin(), chars.end(), cp) != chars.end();
}

}  // namespace

std::string py_upper(std::string_view s) { return map_code_points(s, py_to_upper); }
std::string py_lower(std::string_view s) { return map_code_points(s, py_to_lower); }

std::string py_capitalize(std::string_view s) {
  bool first = true;
  return map_code_points(s, [&](char32_t cp) {
    const char32_t r = first ? py_to_upper(cp) : py_to_lower(cp);
    first = false;
    return r;
  });
}

std::string py_title(std::string_view s) {
  bool previous_cased = false;
  return map_code_points(s, [&](char32_t cp) {
    const bool cased = py_is_cased_upper(cp) || py_is_cased_lower(cp);
    const char32_t r = previous_cased ? py_to_lower(cp) : py_to_upper(cp);
    previous_cased = cased;
    return r;
  });
}

std::string py_strip(std::string_view s, const std::optional<std::string>& chars, bool left, bool right) {
  const std::vector<char32_t> cps = utf8_code_points(s);
  const std::vector<char32_t> set = chars ? utf8_code_points(*chars) : std::vector<char32_t>{};
  const auto strip = [&](char32_t cp) { return chars ? in_chars(cp, set) : py_is_space(cp); };
  size_t begin = 0;
  size_t end = cps.size();
  if (left) {
    while (begin < end && strip(cps[begin])) ++begin;
  }
  if (right) {
    while (end > begin && strip(cps[end - 1])) --end;
  }
  return utf8_from_code_points(cps, begin, end);
}

std::vector<std::string> py_split(std::string_view s, const std::optional<std::string>& sep, int64_t maxsplit) {
  std::vector<std::string> parts;
  if (sep) {
    size_t begin = 0;
    while (maxsplit < 0 || static_cast<int64_t>(parts.size()) < maxsplit) {
      const size_t at = s.find(*sep, begin);
      if (at == std::string_view::npos) break;
      parts.emplace_back(s.substr(begin, at - begin));
      begin = at + sep->size();
    }
    parts.emplace_back(s.substr(begin));
    return parts;
  }
  const std::vector<char32_t> cps = utf8_code_points(s);
  size_t i = 0;
  while (true) {
    while (i < cps.size() && py_is_space(cps[i])) ++i;
    if (i >= cps.size()) break;
    if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) >= maxsplit) {
      size_t end = cps.size();
      while (end > i && py_is_space(cps[end - 1])) --end;
      parts.push_back(utf8_from_code_points(cps, i, end));
      break;
    }
    const size_t start = i;
    while (i < cps.size() && !py_is_space(cps[i])) ++i;
    parts.push_back(utf8_from_code_points(cps, start, i));
  }
  return parts;
}

std::vector<std::string> py_rsplit(std::string_view s, const std::optional<std::string>& sep, int64_t maxsplit) {
  if (maxsplit < 0) return py_split(s, sep, maxsplit);
  std::vector<std::string> parts;
  if (sep) {
    size_t end = s.size();
    while (static_cast<int64_t>(parts.size()) < maxsplit) {
      if (end < sep->size()) break;
      const size_t at = s.rfind(*sep, end - sep->size());
      if (at == std::string_view::npos) break;
      parts.emplace_back(s.substr(at + sep->size(), end - at - sep->size()));
      end = at;
    }
    parts.emplace_back(s.substr(0, end));
    std::reverse(parts.begin(), parts.end());
    return parts;
  }
  const std::vector<char32_t> cps = utf8_code_points(s);
  size_t i = cps.size();
  while (true) {
    while (i > 0 && py_is_space(cps[i - 1])) --i;
    if (i == 0) break;
    if (static_cast<int64_t>(parts.size()) >= maxsplit) {
      size_t begin = 0;
      while (begin < i && py_is_space(cps[begin])) ++begin;
      parts.push_back(utf8_from_code_points(cps, begin, i));
      break;
    }
    const size_t end = i;
    while (i > 0 && !py_is_space(cps[i - 1])) --i;
    parts.push_back(utf8_from_code_points(cps, i, end));
  }
  std::reverse(parts.begin(), parts.end());
  return parts;
}

std::vector<std::string> py_splitlines(std::string_view s, bool keepends) {
  const std::vector<char32_t> cps = utf8_code_points(s);
  std::vector<std::string> lines;
  size_t start = 0;
  size_t i = 0;
  while (i < cps.size()) {
    const char32_t c = cps[i];
    const bool is_break = c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0x1C || c == 0x1D || c == 0x1E ||
                          c == 0x85 || c == 0x2028 || c == 0x2029;
    if (!is_break) {
      ++i;
      continue;
    }
    size_t end = i + 1;
    if (c == '\r' && end < cps.size() && cps[end] == '\n') ++end;
    lines.push_back(utf8_from_code_points(cps, start, keepends ? end : i));
    start = i = end;
  }
  if (start < cps.size()) lines.push_back(utf8_from_code_points(cps, start, cps.size()));
  return lines;
}

std::string py_replace(std::string_view s, std::string_view old, std::string_view replacement, int64_t count) {
  std::string out;
  int64_t done = 0;
  if (old.empty()) {
    size_t pos = 0;
    while (pos <= s.size()) {
      if (count < 0 || done < count) {
        out += replacement;
        ++done;
      }
      if (pos == s.size()) break;
      const size_t start = pos;
      utf8_decode(s, pos);
      out += s.substr(start, pos - start);
    }
    return out;
  }
  size_t begin = 0;
  while (count < 0 || done < count) {
    const size_t at = s.find(old, begin);
    if (at == std::string_view::npos) break;
    out += s.substr(begin, at - begin);
    out += replacement;
    begin = at + old.size();
    ++done;
  }
  out += s.substr(begin);
  return out;
}

size_t replaced_size(std::string_view s, std::string_view old, std::string_view replacement, int64_t count) {
  uint64_t n = static_cast<uint64_t>(py_count(s, old));
  if (count >= 0 && static_cast<uint64_t>(count) < n) n = static_cast<uint64_t>(count);
  const unsigned __int128 size = static_cast<unsigned __int128>(s.size()) + static_cast<unsigned __int128>(n) * replacement.size() -
                                        static_cast<unsigned __int128>(n) * old.size();
  return size > SIZE_MAX ? SIZE_MAX : static_cast<size_t>(size);
}

int64_t py_count(std::string_view s, std::string_view sub) {
  if (sub.empty()) return static_cast<int64_t>(utf8_length(s)) + 1;
  int64_t n = 0;
  for (size_t at = s.find(sub); at != std::string_view::npos; at = s.find(sub, at + sub.size())) ++n;
  return n;
}

int64_t py_find(std::string_view s, std::string_view sub, bool reverse) {
  const size_t at = reverse ? s.rfind(sub) : s.find(sub);
  if (at == std::string_view::npos) return -1;
  return static_cast<int64_t>(utf8_length(s.substr(0, at)));
}

}  // namespace occam::jinja
