// The detector extension point: a detector is one file that declares its candidate patterns and
// confirms each candidate, registered with OCCAM_REGISTER_PII_DETECTOR. The scanner compiles the
// patterns of every registered detector into one Vectorscan database (HS_FLAG_SOM_LEFTMOST) and
// calls confirm() once per candidate with the leftmost start and the longest end of that match.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rules/pii.h"

namespace occam::rules {

struct CandidatePattern {
  std::string regex;  // Vectorscan expression over bytes (not UTF-8 mode: invalid UTF-8 is scanned safely)
  // Start-of-match tracking is what makes a Vectorscan database slow (about 15 MB/s instead of
  // hundreds for the digit-run patterns); a detector whose candidates are easy to delimit walking
  // back from their end sets this to false and implements candidate_start().
  bool leftmost_start = true;
};

class Detector {
 public:
  virtual ~Detector() = default;
  virtual std::string_view kind() const = 0;
  virtual std::vector<CandidatePattern> patterns() const = 0;
  // For patterns with leftmost_start == false: the start of the candidate that ends at `end`.
  // `previous_start`/`previous_end` are the last candidate of the same pattern (or npos); when the
  // walk back reaches previous_end inside the same run, return previous_start: the scanner then keeps
  // one candidate per run and the total walk stays linear in the text.
  virtual std::size_t candidate_start(std::string_view text, std::size_t pattern, std::size_t end,
                                      std::size_t previous_start, std::size_t previous_end) const;
  // Appends zero or more findings for the candidate [start, end) matched by patterns()[pattern].
  // A finding may be any sub-span of the candidate (e.g. a card inside a run of digit groups).
  virtual void confirm(std::string_view text, std::size_t pattern, std::size_t start, std::size_t end,
                       std::vector<Finding>& out) const = 0;
};

using DetectorFactory = std::function<std::unique_ptr<Detector>()>;

struct DetectorRegistration {
  std::string kind;
  DetectorFactory factory;
};

std::vector<DetectorRegistration>& detector_registry();

struct DetectorRegistrar {
  DetectorRegistrar(std::string kind, DetectorFactory factory) {
    detector_registry().push_back({std::move(kind), std::move(factory)});
  }
};

// ---- helpers shared by detectors (text.cpp) ----

// A separator allowed between digit groups: space, '.', '-', and the Unicode spaces French typography
// puts inside numbers (U+00A0 no-break space, U+202F narrow no-break space, U+2009 thin space).
// As a Vectorscan sub-expression:
inline constexpr std::string_view kGroupSeparator = R"((?:[ .\-]|\xC2\xA0|\xE2\x80[\xAF\x89]))";

// Byte length of the group separator at `pos` (0 if there is none), or of the one ending at `pos`.
std::size_t separator_length(std::string_view text, std::size_t pos);
std::size_t separator_length_before(std::string_view text, std::size_t pos);

// True when the code point before `pos` (resp. at `pos`) is not a letter, digit or one of `also`:
// i.e. a match starting (ending) here is not glued to a word. Non-ASCII code points are classified
// with utf8proc (é is a letter, U+00A0 is not); invalid UTF-8 bytes count as non-word.
bool word_boundary_before(std::string_view text, std::size_t pos, std::string_view also = {});
bool word_boundary_after(std::string_view text, std::size_t pos, std::string_view also = {});

// Start of a fixed-size candidate that ends at `end`: walks back over `count` characters accepted by
// `significant` (ASCII digits, or also the A/B of a Corsican NIR), with at most one group separator
// between two of them. Fixed-structure detectors (NIR, SIREN, SIRET, French phone numbers) use it
// instead of Vectorscan's start-of-match tracking; returns `end` when the walk fails.
std::size_t fixed_candidate_start(std::string_view text, std::size_t end, std::size_t count,
                                  bool (*significant)(char));
bool is_ascii_digit(char c);

// The ASCII digits of text[start, end), in order.
std::string digits_of(std::string_view text, std::size_t start, std::size_t end);

// Digit groups of text[start, end): maximal runs of digits, separated by exactly one group separator.
struct DigitGroup {
  std::size_t start;
  std::size_t end;
  std::size_t separator_after;  // byte length of the separator that follows (0 for the last group)
};
std::vector<DigitGroup> digit_groups(std::string_view text, std::size_t start, std::size_t end);

Finding make_finding(std::string_view kind, std::string_view text, std::size_t start, std::size_t end,
                     double confidence);

}  // namespace occam::rules

#define OCCAM_PII_CONCAT_INNER(a, b) a##b
#define OCCAM_PII_CONCAT(a, b) OCCAM_PII_CONCAT_INNER(a, b)
// OCCAM_REGISTER_PII_DETECTOR("EMAIL", EmailDetector): one line at the bottom of the detector's file.
#define OCCAM_REGISTER_PII_DETECTOR(kind, type)                                         \
  static ::occam::rules::DetectorRegistrar OCCAM_PII_CONCAT(occam_pii_detector_, __LINE__)( \
      kind, [] { return std::unique_ptr<::occam::rules::Detector>(new type()); })
