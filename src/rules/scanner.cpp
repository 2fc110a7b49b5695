// PiiScanner: one Vectorscan database for every detector's candidate patterns, a scratch pool for
// concurrent scans, confirmation by the detectors and overlap resolution.
#include <algorithm>
#include <cctype>
#include <limits>
#include <map>
#include <mutex>
#include <set>

#include <hs/hs.h>

#include "rules/detector.h"

namespace occam::rules {

namespace {

bool valid_kind_name(std::string_view name) {
  if (name.empty() || name.size() > 32 || !std::isalpha(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// A user pattern: every (leftmost start, longest end) match is a finding, glued to words or not.
class CustomDetector final : public Detector {
 public:
  CustomDetector(std::string kind, std::string regex, double confidence)
      : kind_(std::move(kind)), regex_(std::move(regex)), confidence_(confidence) {}
  std::string_view kind() const override { return kind_; }
  std::vector<CandidatePattern> patterns() const override { return {{regex_, true}}; }
  void confirm(std::string_view text, std::size_t, std::size_t start, std::size_t end,
               std::vector<Finding>& out) const override {
    if (end > start) out.push_back(make_finding(kind_, text, start, end, confidence_));
  }

 private:
  std::string kind_;
  std::string regex_;
  double confidence_;
};

struct RawMatch {
  unsigned id;
  std::size_t from;
  std::size_t to;
};

struct PatternRef {
  const Detector* detector;
  std::size_t index;  // within the detector's patterns()
  bool leftmost_start;
};

struct ScanContext {
  std::string_view text;
  const std::vector<PatternRef>* patterns;
  std::vector<RawMatch>* matches;
  std::vector<std::size_t>* last_for_id;  // index in matches of the latest match of each id
};

int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned, void* ctx) {
  auto* c = static_cast<ScanContext*>(ctx);
  const PatternRef& ref = (*c->patterns)[id];
  if (!ref.leftmost_start) {
    std::size_t last = (*c->last_for_id)[id];
    constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
    std::size_t previous_start = last == none ? none : (*c->matches)[last].from;
    std::size_t previous_end = last == none ? none : (*c->matches)[last].to;
    from = ref.detector->candidate_start(c->text, ref.index, static_cast<std::size_t>(to), previous_start,
                                         previous_end);
  }
  // Matches of one id arrive by increasing end; with SOM_LEFTMOST a match that keeps the same
  // start is the same candidate growing, so keep only its longest end.
  std::size_t& last = (*c->last_for_id)[id];
  if (last != std::numeric_limits<std::size_t>::max() && (*c->matches)[last].from == from) {
    (*c->matches)[last].to = static_cast<std::size_t>(to);
    return 0;
  }
  last = c->matches->size();
  c->matches->push_back({id, static_cast<std::size_t>(from), static_cast<std::size_t>(to)});
  return 0;
}

// Keeps the findings that win: longer spans first (they cover more personal data), then higher
// confidence, then earlier start. The result is sorted by start and free of overlaps.
std::vector<Finding> resolve_overlaps(std::vector<Finding> candidates) {
  std::vector<std::size_t> order(candidates.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const Finding& x = candidates[a];
    const Finding& y = candidates[b];
    if (x.end - x.start != y.end - y.start) return x.end - x.start > y.end - y.start;
    if (x.confidence != y.confidence) return x.confidence > y.confidence;
    if (x.start != y.start) return x.start < y.start;
    return a < b;
  });
  std::map<std::size_t, std::size_t> taken;  // start -> end of accepted spans
  std::vector<Finding> kept;
  for (std::size_t index : order) {
    Finding& f = candidates[index];
    auto next = taken.lower_bound(f.start);
    if (next != taken.end() && next->first < f.end) continue;
    if (next != taken.begin() && std::prev(next)->second > f.start) continue;
    taken.emplace(f.start, f.end);
    kept.push_back(std::move(f));
  }
  std::sort(kept.begin(), kept.end(), [](const Finding& a, const Finding& b) { return a.start < b.start; });
  return kept;
}

// Registration order depends on static initialisation order; sort so every build scans alike.
std::vector<DetectorRegistration> sorted_registry() {
  std::vector<DetectorRegistration> registry = detector_registry();
  std::sort(registry.begin(), registry.end(),
            [](const DetectorRegistration& a, const DetectorRegistration& b) { return a.kind < b.kind; });
  return registry;
}

}  // namespace

struct PiiScanner::Impl {
  std::vector<std::unique_ptr<Detector>> detectors;
  std::vector<std::string> kinds;
  // For each Vectorscan id: the detector and the index of the pattern within it.
  std::vector<PatternRef> id_to_pattern;
  std::vector<std::pair<std::string, std::string>> pattern_list;
  hs_database_t* database = nullptr;
  hs_scratch_t* prototype = nullptr;
  mutable std::mutex pool_mutex;
  mutable std::vector<hs_scratch_t*> pool;

  ~Impl() {
    for (hs_scratch_t* s : pool) hs_free_scratch(s);
    if (prototype) hs_free_scratch(prototype);
    if (database) hs_free_database(database);
  }

  hs_scratch_t* acquire() const {
    {
      std::lock_guard lock(pool_mutex);
      if (!pool.empty()) {
        hs_scratch_t* s = pool.back();
        pool.pop_back();
        return s;
      }
    }
    hs_scratch_t* s = nullptr;
    if (hs_clone_scratch(prototype, &s) != HS_SUCCESS) return nullptr;
    return s;
  }
  void release(hs_scratch_t* s) const {
    std::lock_guard lock(pool_mutex);
    pool.push_back(s);
  }
};

std::vector<std::string> builtin_pii_kinds() {
  std::vector<std::string> kinds;
  for (const DetectorRegistration& r : sorted_registry()) kinds.push_back(r.kind);
  return kinds;
}

Result<PiiScanner> PiiScanner::create(const PiiConfig& config) {
  auto impl = std::make_unique<Impl>();
  std::set<std::string> disabled;
  for (const std::string& kind : config.disabled_kinds) disabled.insert(upper(kind));
  std::set<std::string> known;
  for (const DetectorRegistration& r : sorted_registry()) {
    known.insert(r.kind);
    if (disabled.count(r.kind)) continue;
    impl->detectors.push_back(r.factory());
    impl->kinds.push_back(r.kind);
  }
  for (const std::string& kind : disabled) {
    if (!known.count(kind)) {
      return make_error(ErrorCode::invalid_argument, "pii: disabled kind '{}' is not a built-in detector", kind);
    }
  }
  for (std::size_t i = 0; i < config.custom.size(); ++i) {
    const CustomPattern& p = config.custom[i];
    if (!valid_kind_name(p.name)) {
      return make_error(ErrorCode::invalid_argument,
                        "pii: custom pattern #{} name '{}' must be 1-32 letters, digits or '_' starting with a letter",
                        i, p.name);
    }
    std::string kind = upper(p.name);
    if (known.count(kind)) {
      return make_error(ErrorCode::invalid_argument, "pii: custom pattern '{}' clashes with an existing kind", p.name);
    }
    if (!(p.confidence > 0.0 && p.confidence <= 1.0)) {
      return make_error(ErrorCode::invalid_argument, "pii: custom pattern '{}': confidence {} not in (0, 1]",
                        p.name, p.confidence);
    }
    known.insert(kind);
    impl->detectors.push_back(std::make_unique<CustomDetector>(kind, p.regex, p.confidence));
    impl->kinds.push_back(kind);
  }

  std::vector<std::string> expressions;
  std::vector<unsigned> flags;
  for (std::size_t d = 0; d < impl->detectors.size(); ++d) {
    std::vector<CandidatePattern> patterns = impl->detectors[d]->patterns();
    for (std::size_t p = 0; p < patterns.size(); ++p) {
      impl->id_to_pattern.push_back({impl->detectors[d].get(), p, patterns[p].leftmost_start});
      impl->pattern_list.emplace_back(std::string(impl->detectors[d]->kind()), patterns[p].regex);
      expressions.push_back(std::move(patterns[p].regex));
      flags.push_back(patterns[p].leftmost_start ? HS_FLAG_SOM_LEFTMOST : 0u);
    }
  }
  if (expressions.empty()) {
    return make_error(ErrorCode::invalid_argument, "pii: every detector is disabled and no custom pattern is set");
  }
  std::vector<const char*> c_expressions;
  std::vector<unsigned> ids(expressions.size());
  for (std::size_t i = 0; i < expressions.size(); ++i) {
    c_expressions.push_back(expressions[i].c_str());
    ids[i] = static_cast<unsigned>(i);
  }
  hs_compile_error_t* compile_error = nullptr;
  if (hs_compile_multi(c_expressions.data(), flags.data(), ids.data(), static_cast<unsigned>(expressions.size()),
                       HS_MODE_BLOCK, nullptr, &impl->database, &compile_error) != HS_SUCCESS) {
    std::string message = compile_error && compile_error->message ? compile_error->message : "unknown error";
    int which = compile_error ? compile_error->expression : -1;
    hs_free_compile_error(compile_error);
    if (which >= 0 && static_cast<std::size_t>(which) < impl->pattern_list.size()) {
      return make_error(ErrorCode::invalid_argument, "pii: pattern of '{}' /{}/: {}", impl->pattern_list[which].first,
                        impl->pattern_list[which].second, message);
    }
    return make_error(ErrorCode::invalid_argument, "pii: compiling patterns: {}", message);
  }
  if (hs_alloc_scratch(impl->database, &impl->prototype) != HS_SUCCESS) {
    return make_error(ErrorCode::resource_exhausted, "pii: cannot allocate Vectorscan scratch");
  }
  return PiiScanner(std::move(impl));
}

PiiScanner::PiiScanner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PiiScanner::PiiScanner(PiiScanner&&) noexcept = default;
PiiScanner& PiiScanner::operator=(PiiScanner&&) noexcept = default;
PiiScanner::~PiiScanner() = default;

const std::vector<std::string>& PiiScanner::kinds() const { return impl_->kinds; }

std::vector<std::pair<std::string, std::string>> PiiScanner::patterns() const { return impl_->pattern_list; }

Result<std::vector<Finding>> PiiScanner::scan(std::string_view text) const {
  if (text.size() > std::numeric_limits<unsigned int>::max()) {
    return make_error(ErrorCode::invalid_argument, "pii: text of {} bytes exceeds the 4 GiB scan limit", text.size());
  }
  std::vector<RawMatch> matches;
  std::vector<std::size_t> last_for_id(impl_->id_to_pattern.size(), std::numeric_limits<std::size_t>::max());
  ScanContext ctx{text, &impl_->id_to_pattern, &matches, &last_for_id};
  hs_scratch_t* scratch = impl_->acquire();
  if (!scratch) return make_error(ErrorCode::resource_exhausted, "pii: cannot clone Vectorscan scratch");
  hs_error_t rc = hs_scan(impl_->database, text.data(), static_cast<unsigned int>(text.size()), 0, scratch,
                          on_match, &ctx);
  impl_->release(scratch);
  if (rc != HS_SUCCESS) return make_error(ErrorCode::internal, "pii: hs_scan failed with code {}", rc);

  std::vector<Finding> candidates;
  for (const RawMatch& m : matches) {
    if (m.from >= m.to) continue;  // a walk back that found no candidate start
    const PatternRef& ref = impl_->id_to_pattern[m.id];
    ref.detector->confirm(text, ref.index, m.from, m.to, candidates);
  }
  if (candidates.size() <= 1) return candidates;
  return resolve_overlaps(std::move(candidates));
}

}  // namespace occam::rules
