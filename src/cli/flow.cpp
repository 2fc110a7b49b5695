// `occam flow run|batch|resume`: runs workflows (src/workflow) durably.
//
//   occam flow run triage --input ticket.json [--config occam.yaml] [--run-id ID]
//   occam flow batch triage --input tickets.jsonl --out results.jsonl [--concurrency 4] [--resume]
//   occam flow resume [--config occam.yaml]            # every run a crash left unfinished
//
// A batch's run ids are `<batch id>-<line>`; the batch id is derived from the workflow and the input file's
// absolute path (or --batch-id), so `--resume` after a crash finds the same runs and continues each from its
// last finished step. Results are written in input order once every line has an outcome.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include "cli/command.h"
#include "core/file.h"
#include "workflow/store/run_store.h"
#include "workflow/workflow.h"

namespace occam::cli {
namespace {

namespace json = boost::json;

struct FlowArgs {
  std::string workflow, input, out, config = "occam.yaml", run_id, batch_id, store;
  int concurrency = 2;
  bool resume = false, quiet = false;
};

int fail(const Error& e) {
  std::fprintf(stderr, "occam flow: %s\n", e.message().c_str());
  return kExitFailure;
}

Result<std::unique_ptr<workflow::Engine>> load_engine(const FlowArgs& a) {
  workflow::EngineOptions options;
  if (!a.store.empty()) options.store_url = a.store;
  return workflow::Engine::load(a.config, options);
}

json::object outcome_json(const workflow::RunOutcome& o) {
  json::object tiers;
  for (const auto& [tier, n] : o.tiers) tiers[tier] = n;
  return json::object{{"run_id", o.run_id},
                      {"status", o.status},
                      {"output", o.output},
                      {"error", o.error},
                      {"tiers", std::move(tiers)},
                      {"steps_run", o.steps_run},
                      {"steps_replayed", o.steps_replayed},
                      {"cost", o.cost}};
}

int run_one(const FlowArgs& a) {
  auto engine = load_engine(a);
  if (!engine.ok()) return fail(engine.error());
  auto text = read_file(a.input);
  if (!text.ok()) return fail(text.error());
  boost::system::error_code ec;
  json::value input = json::parse(*text, ec);
  if (ec) return fail(make_error(ErrorCode::invalid_argument, "{}: not JSON: {}", a.input, ec.message()));
  std::string id = a.run_id;
  if (id.empty()) {
    std::random_device rd;
    id =
        fmt::format("{}-{:x}{:08x}", a.workflow,
                    std::chrono::system_clock::now().time_since_epoch() / std::chrono::milliseconds(1), rd());
  }
  auto outcome = (*engine)->run(a.workflow, id, input);
  if (!outcome.ok()) return fail(outcome.error());
  std::printf("%s\n", json::serialize(outcome_json(*outcome)).c_str());
  return outcome->status == "done" ? kExitOk : kExitFailure;
}

int resume_all(const FlowArgs& a) {
  auto engine = load_engine(a);
  if (!engine.ok()) return fail(engine.error());
  auto ids = (*engine)->store().unfinished_runs(a.workflow);
  if (!ids.ok()) return fail(ids.error());
  int failures = 0;
  for (const std::string& id : *ids) {
    auto outcome = (*engine)->resume(id);
    if (!outcome.ok()) {
      std::fprintf(stderr, "occam flow: run %s: %s\n", id.c_str(), outcome.error().message().c_str());
      ++failures;
      continue;
    }
    failures += outcome->status == "done" ? 0 : 1;
    std::printf("%s\n", json::serialize(outcome_json(*outcome)).c_str());
  }
  std::fprintf(stderr, "occam flow: resumed %zu runs, %d not done\n", ids->size(), failures);
  return failures == 0 ? kExitOk : kExitFailure;
}

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

struct Progress {
  std::mutex mutex;
  std::map<std::string, int64_t> tiers;
  std::atomic<int64_t> done{0}, failed{0}, skipped{0};
};

void draw(Progress& p, int64_t total, std::chrono::steady_clock::time_point start, bool final) {
  int64_t done = p.done.load();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  int64_t fresh = done - p.skipped.load();
  double rate = seconds > 0 ? static_cast<double>(fresh) / seconds : 0;
  double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
  constexpr int kWidth = 24;
  int filled = total ? static_cast<int>(kWidth * done / total) : kWidth;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');
  std::string tiers;
  {
    std::lock_guard lock(p.mutex);
    for (const auto& [t, n] : p.tiers) tiers += fmt::format(" {}={}", t, n);
  }
  std::fprintf(stderr, "\r[%s] %lld/%lld %.1f runs/s ETA %.0fs failed %lld |%s\033[K", bar.c_str(),
               static_cast<long long>(done), static_cast<long long>(total), rate, eta,
               static_cast<long long>(p.failed.load()), tiers.c_str());
  if (final) std::fputc('\n', stderr);
  std::fflush(stderr);
}

int run_batch(const FlowArgs& a) {
  auto engine = load_engine(a);
  if (!engine.ok()) return fail(engine.error());
  if (!(*engine)->has_workflow(a.workflow))
    return fail(make_error(ErrorCode::not_found, "no workflow '{}'", a.workflow));
  auto text = read_file(a.input);
  if (!text.ok()) return fail(text.error());
  std::vector<json::value> inputs;
  std::vector<int64_t> lines;
  {
    std::istringstream in(*text);
    std::string line;
    int64_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      boost::system::error_code ec;
      json::value v = json::parse(line, ec);
      if (ec)
        return fail(
            make_error(ErrorCode::invalid_argument, "{}:{}: not JSON: {}", a.input, number, ec.message()));
      inputs.push_back(std::move(v));
      lines.push_back(number);
    }
  }
  std::string batch = a.batch_id;
  if (batch.empty()) {
    batch = fmt::format(
        "{}-{:016x}", a.workflow,
        fnv1a(a.workflow + "\n" + std::filesystem::absolute(a.input).lexically_normal().string()));
  }
  auto run_id = [&](size_t i) { return fmt::format("{}-{}", batch, lines[i]); };
  workflow::RunStore& store = (*engine)->store();
  if (!a.resume && !inputs.empty()) {
    auto existing = store.get_run(run_id(0));
    if (!existing.ok()) return fail(existing.error());
    if (*existing) {
      return fail(make_error(
          ErrorCode::invalid_argument,
          "batch '{}' is already in the run store: add --resume to continue it, or --batch-id", batch));
    }
  }

  const int64_t total = static_cast<int64_t>(inputs.size());
  std::vector<json::object> results(inputs.size());
  Progress progress;
  std::atomic<size_t> next{0};
  auto start = std::chrono::steady_clock::now();
  auto worker = [&]() {
    for (size_t i = next++; i < inputs.size(); i = next++) {
      auto outcome = (*engine)->run(a.workflow, run_id(i), inputs[i]);
      json::object r;
      if (outcome.ok()) {
        r = outcome_json(*outcome);
        if (outcome->steps_run == 0 && outcome->steps_replayed == 0) ++progress.skipped;  // finished before
        if (outcome->status != "done") ++progress.failed;
        std::lock_guard lock(progress.mutex);
        for (const auto& [t, n] : outcome->tiers) progress.tiers[t] += n;
      } else {
        r = json::object{{"run_id", run_id(i)}, {"status", "error"}, {"error", outcome.error().message()}};
        ++progress.failed;
      }
      r["line"] = lines[i];
      results[i] = std::move(r);
      ++progress.done;
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < std::max(1, a.concurrency); ++t) threads.emplace_back(worker);
  std::atomic<bool> finished{false};
  std::thread painter([&]() {
    while (!finished.load()) {
      if (!a.quiet) draw(progress, total, start, false);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  for (auto& t : threads) t.join();
  finished = true;
  painter.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!a.quiet) draw(progress, total, start, true);

  std::string tmp = a.out + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc | std::ios::binary);
    for (const json::object& r : results) out << json::serialize(r) << '\n';
    if (!out.flush()) return fail(make_error(ErrorCode::io, "cannot write '{}'", tmp));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, a.out, ec);
  if (ec) return fail(make_error(ErrorCode::io, "cannot rename '{}' to '{}': {}", tmp, a.out, ec.message()));
  std::fprintf(stderr,
               "occam flow: batch %s: %lld runs (%lld already finished) in %.2fs, %lld not done; wrote %s\n",
               batch.c_str(), static_cast<long long>(total), static_cast<long long>(progress.skipped.load()),
               seconds, static_cast<long long>(progress.failed.load()), a.out.c_str());
  return progress.failed.load() == 0 ? kExitOk : kExitFailure;
}

CommandRun setup_flow(CLI::App& app) {
  auto a = std::make_shared<FlowArgs>();
  app.require_subcommand(1);
  CLI::App* run = app.add_subcommand("run", "Run one workflow on one JSON input");
  run->add_option("workflow", a->workflow, "workflow name")->required();
  run->add_option("--input", a->input, "input JSON file")->required();
  run->add_option("--run-id", a->run_id, "run id (an existing unfinished run is continued)");
  CLI::App* batch = app.add_subcommand("batch", "Run a workflow on every line of a JSONL file");
  batch->add_option("workflow", a->workflow, "workflow name")->required();
  batch->add_option("--input", a->input, "input JSONL file (one JSON object per line)")->required();
  batch->add_option("--out", a->out, "results JSONL file (input order)")->required();
  batch->add_option("--concurrency", a->concurrency, "runs at once")->check(CLI::Range(1, 256));
  batch->add_flag("--resume", a->resume, "continue a batch a crash interrupted");
  batch->add_option("--batch-id", a->batch_id, "run id prefix (default: from the workflow and input path)");
  batch->add_flag("-q,--quiet", a->quiet, "no progress bar");
  CLI::App* resume = app.add_subcommand("resume", "Continue every unfinished run in the run store");
  resume->add_option("workflow", a->workflow, "only this workflow's runs");
  for (CLI::App* sub : {run, batch, resume}) {
    sub->add_option("--config", a->config, "occam.yaml (default ./occam.yaml)");
    sub->add_option("--store", a->store,
                    "run store: a SQLite file or a postgresql:// URL (overrides the config)");
  }
  return [a, run, batch, resume]() -> int {
    if (run->parsed()) return run_one(*a);
    if (batch->parsed()) return run_batch(*a);
    if (resume->parsed()) return resume_all(*a);
    return kExitUsage;
  };
}

}  // namespace

OCCAM_REGISTER_COMMAND(flow, "Run YAML workflows durably (run, batch with --resume, resume)", setup_flow);

}  // namespace occam::cli
