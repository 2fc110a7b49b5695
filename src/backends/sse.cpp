#include "backends/sse.h"

namespace occam::backends {

std::string sse_frame(std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 16);
  std::size_t start = 0;
  while (true) {
    std::size_t end = payload.find('\n', start);
    std::string_view line = payload.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out += "data: ";
    out += line;
    out += '\n';
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  out += '\n';
  return out;
}

Status SseReader::end_line(const std::function<Status(std::string_view)>& on_event) {
  if (line_.empty()) {
    // A blank line dispatches the event.
    if (has_data_) {
      Status st = on_event(data_);
      data_.clear();
      has_data_ = false;
      return st;
    }
    return ok_status();
  }
  std::string_view line = line_;
  if (line.front() != ':') {
    std::size_t colon = line.find(':');
    std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (field == "data") {
      if (has_data_) data_ += '\n';
      data_ += value;
      has_data_ = true;
    }
  }
  line_.clear();
  return ok_status();
}

Status SseReader::feed(std::string_view bytes, const std::function<Status(std::string_view)>& on_event) {
  for (char c : bytes) {
    if (c == '\n') {
      if (after_cr_) {  // the \n of a \r\n: the line already ended at \r
        after_cr_ = false;
        continue;
      }
      OCCAM_TRY(end_line(on_event));
    } else if (c == '\r') {
      after_cr_ = true;
      OCCAM_TRY(end_line(on_event));
    } else {
      after_cr_ = false;
      if (line_.size() >= max_line_) {
        return make_error(ErrorCode::invalid_argument, "event stream line longer than {} bytes", max_line_);
      }
      line_ += c;
    }
  }
  return ok_status();
}

}  // namespace occam::backends
