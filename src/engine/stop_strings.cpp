#include "engine/stop_strings.h"

#include <algorithm>

namespace occam::engine {

namespace {

// Length of the longest suffix of `text` that is a proper prefix of some stop string.
size_t held_back(std::string_view text, const std::vector<std::string>& stops) {
  size_t hold = 0;
  for (const std::string& stop : stops) {
    for (size_t n = std::min(stop.size() - 1, text.size()); n > hold; --n) {
      if (text.substr(text.size() - n) == std::string_view(stop).substr(0, n)) {
        hold = n;
        break;
      }
    }
  }
  return hold;
}

}  // namespace

std::string_view StopStringFilter::push(std::string_view token_text) {
  if (stopped_) return {};
  text_ += token_text;
  size_t safe = text_.size();
  for (const std::string& stop : *stops_) {
    // A match cannot start before what was already shown minus the stop's length.
    const size_t from = emitted_ > stop.size() ? emitted_ - stop.size() : 0;
    const size_t at = text_.find(stop, from);
    if (at != std::string::npos && at < safe) {
      safe = at;
      stopped_ = true;
    }
  }
  if (stopped_) {
    text_.resize(safe);
  } else {
    safe = text_.size() - held_back(text_, *stops_);
  }
  const std::string_view piece = std::string_view(text_).substr(emitted_, safe - emitted_);
  emitted_ = safe;
  return piece;
}

std::string_view StopStringFilter::release() {
  if (stopped_ || emitted_ >= text_.size()) return {};
  const std::string_view rest = std::string_view(text_).substr(emitted_);
  emitted_ = text_.size();
  return rest;
}

}  // namespace occam::engine
