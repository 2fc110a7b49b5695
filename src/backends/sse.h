// Server-sent events (text/event-stream) as OpenAI streams use them: writing frames, and reading a
// stream that arrives in arbitrary pieces (a frame may be split anywhere, even inside "\r\n").
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace occam::backends {

// "data: <payload>\n\n"; a payload with newlines becomes one data line per line, as the format requires.
std::string sse_frame(std::string_view payload);

// Incremental reader. Calls `on_event` with the joined data lines of each complete event; comment lines
// (": keep-alive") and fields other than data are skipped. A line longer than `max_line` bytes is an
// error, so a peer that never sends a newline cannot grow memory without bound.
class SseReader {
 public:
  explicit SseReader(std::size_t max_line = 8u << 20) : max_line_(max_line) {}

  Status feed(std::string_view bytes, const std::function<Status(std::string_view data)>& on_event);

  // True when a partial event is still buffered (the stream ended mid-event).
  bool pending() const { return !line_.empty() || has_data_; }

 private:
  Status end_line(const std::function<Status(std::string_view)>& on_event);

  std::size_t max_line_;
  std::string line_;
  std::string data_;
  bool has_data_ = false;
  bool after_cr_ = false;
};

}  // namespace occam::backends
