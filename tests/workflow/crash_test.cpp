// Crash test: `occam flow batch` (a child process) runs 200 runs, each with a tool step, and is killed with
// SIGKILL at a random moment three times, then resumed with --resume until it finishes. Every run must
// complete, and the recording tool server must have applied each run's tool step exactly once (repeated
// deliveries of a key — a kill between the call and its commit — are answered from its record).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include <random>

#include "fixture.h"
#include "postgres_cluster.h"

namespace occam::workflow::testing {
namespace {

constexpr int kRuns = 200;

class CrashTest : public WorkflowFixture {
 protected:
  pid_t spawn(const std::vector<std::string>& args) {
    pid_t pid = ::fork();
    if (pid == 0) {
      std::vector<char*> argv;
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 2);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    return pid;
  }

  size_t applied() {
    std::lock_guard lock(recorder_.mutex);
    return recorder_.applied.size();
  }

  void crash_and_resume(const std::string& store_url) {
    recorder_.delay_ms = 8;  // long enough for a kill to land mid-batch
    auto config = write_config(
        "inputs: {text: string, n: integer}\n"
        "allow_urls: ['{tools}/']\n"
        "tools:\n  record: {url: '{tools}/record'}\n"
        "steps:\n"
        "  - {name: pii, kind: rules, text: '{{ input.text }}'}\n"
        "  - {name: save, kind: tool, tool: record, with: {n: '{{ input.n }}'}}\n"
        "  - {name: reply, kind: generate, route: small, prompt: 'n={{ input.n }} key={{ steps.save.key }}'}\n"
        "outputs: {reply: {type: string, from: steps.reply.text}}\n");
    {
      std::ofstream in(dir_.path() / "in.jsonl");
      for (int i = 0; i < kRuns; ++i) in << fmt::format(R"({{"text": "ticket {} from a@b.fr", "n": {}}})", i, i) << '\n';
    }
    std::vector<std::string> args = {OCCAM_BINARY, "flow", "batch", "wf", "--input", (dir_.path() / "in.jsonl").string(),
                                     "--out", (dir_.path() / "out.jsonl").string(), "--concurrency", "4", "--config",
                                     config.string(), "-q"};
    if (!store_url.empty()) {
      args.push_back("--store");
      args.push_back(store_url);
    }
    std::random_device rd;
    std::mt19937 rng(rd());
    // Each kill lands after the child made progress (a new tool effect), at a random moment after it.
    std::uniform_int_distribution<int> when(0, 200);
    int kills_mid_batch = 0;
    auto start = std::chrono::steady_clock::now();
    for (int attempt = 0; attempt < 3; ++attempt) {
      std::vector<std::string> a = args;
      if (attempt > 0) a.push_back("--resume");
      size_t before = applied();
      pid_t pid = spawn(a);
      ASSERT_GT(pid, 0);
      int status = 0;
      bool exited = false;
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (applied() == before && std::chrono::steady_clock::now() < deadline) {
        if (::waitpid(pid, &status, WNOHANG) == pid) {
          exited = true;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      int ms = when(rng);
      if (!exited) {
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
      }
      bool killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
      size_t done = applied();
      std::fprintf(stderr, "[crash] kill %d, %d ms after its first new tool effect: %s; tool effects %zu -> %zu of %d\n",
                   attempt + 1, ms, killed ? "killed" : "had already exited", before, done, kRuns);
      if (killed && done > before && done < static_cast<size_t>(kRuns)) ++kills_mid_batch;
    }
    std::vector<std::string> a = args;
    a.push_back("--resume");
    auto resume_start = std::chrono::steady_clock::now();
    pid_t pid = spawn(a);
    int status = 0;
    ::waitpid(pid, &status, 0);
    double resume_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - resume_start).count();
    double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "final --resume exit status " << status;

    // Every run is done, in input order, with its own answer.
    std::ifstream out(dir_.path() / "out.jsonl");
    std::string line;
    int n = 0;
    while (std::getline(out, line)) {
      json::value r = json::parse(line);
      ASSERT_EQ(r.at("status"), json::value("done")) << line;
      std::string expected = fmt::format("Reçu : n={} key=", n);
      std::string reply(r.at("output").at("reply").as_string());
      EXPECT_EQ(reply.substr(0, expected.size()), expected) << line;
      EXPECT_NE(reply.find(fmt::format("-{}/save", n + 1)), std::string::npos) << line;  // run id = batch-<line>
      ++n;
    }
    EXPECT_EQ(n, kRuns);

    // Each tool step had its effect exactly once; repeated deliveries carried the same key.
    std::lock_guard lock(recorder_.mutex);
    EXPECT_EQ(recorder_.applied.size(), static_cast<size_t>(kRuns));
    int repeats = 0;
    for (const auto& [key, count] : recorder_.applied) EXPECT_EQ(count, 1) << key;
    for (const auto& [key, count] : recorder_.requests) repeats += count - 1;
    std::fprintf(stderr,
                 "[crash] %d runs complete after %d mid-batch kills; tool effects %zu (exactly once each), "
                 "repeated deliveries deduped by key: %d; final resume %.2fs, total %.2fs\n",
                 n, kills_mid_batch, recorder_.applied.size(), repeats, resume_s, total_s);
    EXPECT_EQ(kills_mid_batch, 3) << "a kill did not land mid-batch: the test proved less than it says";
  }
};

TEST_F(CrashTest, SqliteBatchSurvivesThreeKills) { crash_and_resume(""); }

TEST_F(CrashTest, PostgresBatchSurvivesThreeKills) {
  if (!shared_postgres().running()) GTEST_SKIP() << shared_postgres().why_not();
  crash_and_resume(shared_postgres().url());
}

}  // namespace
}  // namespace occam::workflow::testing
