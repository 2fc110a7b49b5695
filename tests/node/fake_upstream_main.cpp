// occam_fake_upstream [--threads N]: runs the tests' fake OpenAI upstream on a free port of 127.0.0.1,
// prints "port <n>" on stdout, and serves until stdin closes or the process is killed.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "fake_upstream.h"

int main(int argc, char** argv) {
  int threads = 1;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--threads") == 0) threads = std::atoi(argv[i + 1]);
  }
  occam::testing::FakeUpstream upstream(threads < 1 ? 1 : threads);
  std::printf("port %u\n", static_cast<unsigned>(upstream.port()));
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  return 0;
}
