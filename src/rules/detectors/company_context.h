// Shared by the SIREN and SIRET detectors: is a company-number keyword just before the number?
#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace occam::rules {

// True when "siren", "siret" or "rcs" (any case) occurs in the 32 bytes before `start`.
inline bool company_number_context(std::string_view text, std::size_t start) {
  std::size_t from = start > 32 ? start - 32 : 0;
  std::string window(text.substr(from, start - from));
  for (char& c : window) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return window.find("siren") != std::string::npos || window.find("siret") != std::string::npos ||
         window.find("rcs") != std::string::npos;
}

}  // namespace occam::rules
