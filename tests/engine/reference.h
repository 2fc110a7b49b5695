// The llama.cpp reference cases of ../shared/reference/logits/manifest.json, for the engine tests.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace occam::engine::testing {

struct ReferenceCase {
  std::string id;      // "llama-F32/L8"
  std::string model;   // relative to shared/
  std::string arch;
  std::string weights; // "F32", "Q8_0", ...
  std::string kind;    // "logits" | "embedding"
  std::vector<int32_t> tokens;
  std::string file;    // logits [n][n_vocab] or pooled embedding [n_embd]
  uint32_t width = 0;  // n_vocab or n_embd
  std::vector<float> top1_margin;
  std::vector<int32_t> top1;
};

// gtest prints the case id instead of the object's bytes.
inline void PrintTo(const ReferenceCase& c, std::ostream* os) { *os << c.id; }

// Every case; empty when the manifest cannot be read (the caller fails the test).
const std::vector<ReferenceCase>& reference_cases();

// Raw little-endian float32 file under shared/.
std::vector<float> read_f32(const std::string& relative);

}  // namespace occam::engine::testing
