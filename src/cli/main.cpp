#include <algorithm>
#include <cstdio>

#include "cli/command.h"
#include "core/log.h"

namespace occam::cli {

std::vector<CommandSpec>& command_registry() {
  static std::vector<CommandSpec> registry;
  return registry;
}

}  // namespace occam::cli

int main(int argc, char** argv) {
  using namespace occam::cli;
  occam::init_logging();
  CLI::App app{"occam: every step of an AI workflow on the minimal sufficient model", "occam"};
  app.set_version_flag("--version", "occam 0.1.0");
  app.require_subcommand(1);

  auto& registry = command_registry();
  std::sort(registry.begin(), registry.end(),
            [](const CommandSpec& a, const CommandSpec& b) { return a.name < b.name; });
  CommandRun selected;
  for (const CommandSpec& spec : registry) {
    CLI::App* sub = app.add_subcommand(spec.name, spec.description);
    CommandRun run = spec.setup(*sub);
    sub->callback([&selected, run] { selected = run; });
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  return selected ? selected() : kExitUsage;
}
