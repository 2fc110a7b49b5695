// Stop strings over streamed text: the answer is cut at the first stop string, and a suffix that could
// still be the start of one is held back from the stream until it no longer can. Shared by
// Context::generate and the gateway's batch scheduler (one sequence each).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace occam::engine {

class StopStringFilter {
 public:
  explicit StopStringFilter(const std::vector<std::string>* stops) : stops_(stops) {}

  // Appends one token's text; returns the part of the answer that became safe to show (a view into
  // text(), valid until the next call). After a match, stopped() is true and text() ends before it.
  std::string_view push(std::string_view token_text);
  // The held-back tail, once generation ended otherwise (empty after a match).
  std::string_view release();

  bool stopped() const { return stopped_; }
  const std::string& text() const { return text_; }
  std::string take_text() { return std::move(text_); }

 private:
  const std::vector<std::string>* stops_;
  std::string text_;
  size_t emitted_ = 0;
  bool stopped_ = false;
};

}  // namespace occam::engine
