// UTF-8 helpers with Python's view of characters: templates index, slice, strip and case-map by code
// point, as Python's str does.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace occam::jinja {

// Decodes the code point at `pos` and advances it; an invalid byte decodes as U+FFFD and advances by 1.
char32_t utf8_decode(std::string_view text, size_t& pos);
void utf8_append(std::string& out, char32_t cp);
std::vector<char32_t> utf8_code_points(std::string_view text);
std::string utf8_from_code_points(const std::vector<char32_t>& cps, size_t begin, size_t end);
size_t utf8_length(std::string_view text);
bool is_ascii(std::string_view text);

// str.isspace() (Unicode White_Space plus the ASCII separators \x1c-\x1f).
bool py_is_space(char32_t cp);
// Simple case mapping for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic; other code points are kept.
char32_t py_to_upper(char32_t cp);
char32_t py_to_lower(char32_t cp);
bool py_is_cased_upper(char32_t cp);
bool py_is_cased_lower(char32_t cp);
bool py_is_alpha(char32_t cp);
bool py_is_digit(char32_t cp);

// Python str.rstrip()/lstrip()/strip() with no argument (Unicode whitespace).
std::string_view py_rstrip_space(std::string_view text);
std::string_view py_lstrip_space(std::string_view text);

}  // namespace occam::jinja
