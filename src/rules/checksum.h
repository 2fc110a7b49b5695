// Check-digit algorithms used by the PII detectors (and by tools that generate test data).
#pragma once

#include <optional>
#include <string_view>

namespace occam::rules {

// Luhn (ISO/IEC 7812-1) over ASCII digits; false on any non-digit or an empty string.
bool luhn_valid(std::string_view digits);

// ISO 7064 MOD 97-10 remainder of an IBAN given without separators (letters either case):
// the first four characters move to the end and letters become 10..35. nullopt on any other byte.
// A valid IBAN has remainder 1.
std::optional<int> iban_mod97(std::string_view iban);

// French NIR key: 97 - (number mod 97), where number is the 13 first characters with Corsica's
// department 2A read as 19 and 2B as 18. nullopt unless `first13` is 13 characters of that form.
std::optional<int> nir_key(std::string_view first13);

}  // namespace occam::rules
