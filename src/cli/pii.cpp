// occam pii [--json] [--redact] [--pattern NAME=REGEX]... [TEXT|-]
// Prints the personal data found in TEXT (or stdin with '-' or no argument), or the redacted text.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include <fmt/format.h>

#include "cli/command.h"
#include "rules/pii.h"
#include "rules/redact.h"

namespace occam::cli {
namespace {

// JSON string literal: escapes quotes, backslashes and control bytes; other bytes pass through
// (valid UTF-8 stays valid; invalid bytes are replaced by U+FFFD so the output is always JSON).
std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
      ++i;
    } else if (c < 0x20) {
      out += fmt::format("\\u{:04x}", c);
      ++i;
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else {
      std::size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
      bool valid = n > 0 && i + n <= s.size();
      for (std::size_t k = 1; valid && k < n; ++k) valid = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
      if (valid && n == 3) {
        unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
        valid = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);
      }
      if (valid && n == 4) {
        unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
        valid = !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
      }
      if (valid) {
        out.append(s.substr(i, n));
        i += n;
      } else {
        out += "\\ufffd";
        ++i;
      }
    }
  }
  out.push_back('"');
  return out;
}

struct PiiOptions {
  bool json = false;
  bool redact = false;
  std::vector<std::string> patterns;
  std::string text = "-";
};

int run_pii(const PiiOptions& options) {
  rules::PiiConfig config;
  for (const std::string& spec : options.patterns) {
    std::size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "occam pii: --pattern '%s' must be NAME=REGEX\n", spec.c_str());
      return kExitUsage;
    }
    config.custom.push_back({spec.substr(0, eq), spec.substr(eq + 1)});
  }
  auto scanner = rules::PiiScanner::create(config);
  if (!scanner.ok()) {
    std::fprintf(stderr, "occam pii: %s\n", scanner.error().message().c_str());
    return kExitUsage;
  }
  std::string text = options.text;
  if (text == "-") text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  auto findings = scanner->scan(text);
  if (!findings.ok()) {
    std::fprintf(stderr, "occam pii: %s\n", findings.error().message().c_str());
    return kExitFailure;
  }
  if (options.redact) {
    rules::Redactor redactor(*scanner);
    auto redacted = redactor.redact(text, *findings);
    if (!redacted.ok()) {
      std::fprintf(stderr, "occam pii: %s\n", redacted.error().message().c_str());
      return kExitFailure;
    }
    if (!options.json) {
      std::fwrite(redacted->data(), 1, redacted->size(), stdout);
      if (redacted->empty() || redacted->back() != '\n') std::fputc('\n', stdout);
      return kExitOk;
    }
    std::string out = "{\"redacted\": " + json_string(*redacted) + ", \"placeholders\": [";
    for (std::size_t i = 0; i < redactor.placeholders().size(); ++i) {
      const rules::Placeholder& p = redactor.placeholders()[i];
      out += fmt::format("{}{{\"placeholder\": {}, \"kind\": {}, \"value\": {}}}", i ? ", " : "",
                         json_string(p.token), json_string(p.kind), json_string(p.value));
    }
    out += "]}\n";
    std::fputs(out.c_str(), stdout);
    return kExitOk;
  }
  if (options.json) {
    std::string out = "[";
    for (std::size_t i = 0; i < findings->size(); ++i) {
      const rules::Finding& f = (*findings)[i];
      out += fmt::format("{}{{\"kind\": {}, \"start\": {}, \"end\": {}, \"text\": {}, \"confidence\": {:.2f}}}",
                         i ? ", " : "", json_string(f.kind), f.start, f.end, json_string(f.text), f.confidence);
    }
    out += "]\n";
    std::fputs(out.c_str(), stdout);
    return kExitOk;
  }
  for (const rules::Finding& f : *findings) {
    std::printf("%-6s %6zu %6zu %.2f  %s\n", f.kind.c_str(), f.start, f.end, f.confidence, f.text.c_str());
  }
  return kExitOk;
}

CommandRun setup_pii(CLI::App& app) {
  auto options = std::make_shared<PiiOptions>();
  app.add_flag("--json", options->json, "Print JSON (findings, or the redacted text and its placeholders)");
  app.add_flag("--redact", options->redact, "Print the text with each finding replaced by a placeholder");
  app.add_option("--pattern", options->patterns, "Extra detector NAME=REGEX (repeat the option for more)")
      ->allow_extra_args(false);
  app.add_option("text", options->text, "Text to scan, or '-' for stdin (the default)");
  return [options] { return run_pii(*options); };
}

}  // namespace
}  // namespace occam::cli

OCCAM_REGISTER_COMMAND(pii, "Find personal data in a text (e-mail, phone, IBAN, card, NIR, SIRET, IP) or redact it",
                       occam::cli::setup_pii);
