// Python str operations shared by filters and str methods (code-point aware).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace occam::jinja {

std::string py_upper(std::string_view s);
std::string py_lower(std::string_view s);
std::string py_capitalize(std::string_view s);
std::string py_title(std::string_view s);  // str.title()
// strip/lstrip/rstrip; `chars` nullopt strips whitespace.
std::string py_strip(std::string_view s, const std::optional<std::string>& chars, bool left, bool right);
std::vector<std::string> py_split(std::string_view s, const std::optional<std::string>& sep, int64_t maxsplit);
std::vector<std::string> py_rsplit(std::string_view s, const std::optional<std::string>& sep, int64_t maxsplit);
std::vector<std::string> py_splitlines(std::string_view s, bool keepends);
// str.replace(old, new, count): count < 0 replaces all; an empty `old` inserts between characters.
std::string py_replace(std::string_view s, std::string_view old, std::string_view replacement, int64_t count);
// The byte size py_replace would produce (saturating), to refuse oversized results before building them.
size_t replaced_size(std::string_view s, std::string_view old, std::string_view replacement, int64_t count);
int64_t py_count(std::string_view s, std::string_view sub);
// str.find in code points, -1 when absent.
int64_t py_find(std::string_view s, std::string_view sub, bool reverse);

}  // namespace occam::jinja
