// The `occam` command line: each verb is one file in src/cli/ that registers itself, e.g.
//   OCCAM_REGISTER_COMMAND(inspect, "Print a GGUF model's metadata and tensor table", setup_inspect);
// where setup_inspect adds its options to the CLI11 subcommand and returns the function to run.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace occam::cli {

// Runs the verb after parsing; returns the process exit code.
using CommandRun = std::function<int()>;
using CommandSetup = std::function<CommandRun(CLI::App& subcommand)>;

struct CommandSpec {
  std::string name;
  std::string description;
  CommandSetup setup;
};

std::vector<CommandSpec>& command_registry();

struct CommandRegistration {
  CommandRegistration(std::string name, std::string description, CommandSetup setup) {
    command_registry().push_back({std::move(name), std::move(description), std::move(setup)});
  }
};

// Exit codes shared by every verb.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the operation failed (bad file, unreachable server, ...)
inline constexpr int kExitUsage = 2;    // the command line itself was wrong

}  // namespace occam::cli

#define OCCAM_REGISTER_COMMAND(name, description, setup) \
  static ::occam::cli::CommandRegistration occam_command_##name(#name, description, setup)
