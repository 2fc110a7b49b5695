// fuzz-deps: core rules
// libFuzzer over PiiScanner::scan + Redactor::redact + restore + StreamRestorer on arbitrary bytes
// (invalid UTF-8 included). Invariants: findings are sorted, disjoint and match the input;
// restore(redact(x)) == x; streaming restore in any chunking equals restore.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "rules/pii.h"
#include "rules/redact.h"

namespace {

const occam::rules::PiiScanner& scanner() {
  static occam::rules::PiiScanner s = [] {
    occam::rules::PiiConfig config;
    config.custom.push_back({"TICKET", "TK-[0-9]{4,8}", 0.9});
    auto created = occam::rules::PiiScanner::create(config);
    if (!created.ok()) std::abort();
    return std::move(created).value();
  }();
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto findings = scanner().scan(text);
  if (!findings.ok()) std::abort();
  std::size_t previous_end = 0;
  for (const auto& f : *findings) {
    if (f.start < previous_end || f.end <= f.start || f.end > size) std::abort();
    if (text.substr(f.start, f.end - f.start) != f.text) std::abort();
    previous_end = f.end;
  }
  occam::rules::Redactor redactor(scanner());
  auto redacted = redactor.redact(text, *findings);
  if (!redacted.ok()) std::abort();
  if (redactor.restore(*redacted) != text) std::abort();

  // The input, read as a model's answer, restored in one go and in chunks sized by its own bytes.
  std::string expected = redactor.restore(text);
  occam::rules::StreamRestorer stream(redactor);
  std::string streamed;
  std::size_t i = 0;
  while (i < size) {
    std::size_t n = 1 + data[i] % 7;
    streamed += stream.push(text.substr(i, n));
    i += n;
  }
  streamed += stream.finish();
  if (streamed != expected) std::abort();
  return 0;
}
