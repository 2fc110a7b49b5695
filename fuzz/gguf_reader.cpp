// fuzz-deps: core gguf
// libFuzzer target: arbitrary bytes through gguf::File::open_bytes. Checks:
//   - nothing crashes, leaks or reads outside the input (ASan/UBSan);
//   - a file that validates can be read completely: every metadata value (recursively, every array
//     element), every typed getter, every tensor's first and last byte, lookups by key and name;
//   - re-writing a valid file with the Writer gives a file that validates with the same entries, and
//     re-writing that one is byte-identical (the writer's layout is canonical).
// fuzz-deps: gguf
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "gguf/gguf.h"

namespace {

using namespace occam::gguf;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "gguf_reader invariant failed: %s\n", what);
  std::abort();
}

uint64_t touch(const Value& value, int depth) {
  uint64_t sum = value.raw().size();
  sum += value.as_integer<int64_t>().value_or(0) & 1;
  sum += value.as_integer<uint8_t>().value_or(0);
  sum += value.as_float().ok() ? 1 : 0;
  if (auto s = value.as_string(); s.ok()) sum += s->empty() ? 0 : static_cast<uint8_t>(s->back());
  if (auto array = value.as_array(); array.ok()) {
    if (depth > 16) fail("array nesting deeper than the reader allows");
    if (auto at = array->at(array->size()); at.ok()) fail("at(size) succeeded");
    switch (array->element_type()) {
      case ValueType::u32:
        sum += array->to_vector<uint32_t>().value().size();
        break;
      case ValueType::f32:
        sum += array->to_vector<float>().value().size();
        break;
      case ValueType::boolean:
        sum += array->to_vector<bool>().value().size();
        break;
      case ValueType::string:
        sum += array->to_vector<std::string_view>().value().size();
        break;
      default:
        break;
    }
    for (uint64_t i = 0; i < array->size(); ++i) {
      Value element = (*array)[i];
      if (element.type() != array->element_type()) fail("element type differs from the array's");
      if (element.type() == ValueType::string && array->string(i) != *element.as_string()) fail("string(i)");
      sum += touch(element, depth + 1);
    }
  }
  return sum;
}

uint64_t touch(const File& file) {
  uint64_t sum = file.version() + file.alignment() + file.data_offset() + file.parameter_count();
  for (const KeyValue& kv : file.metadata()) {
    if (kv.key.find('{') == std::string_view::npos) {  // keys with "{arch}" would be expanded
      if (file.find(kv.key) != &kv) fail("find(key) does not return the entry");
      sum += file.get<uint32_t>(kv.key).ok() + file.get_integer<int32_t>(kv.key).ok() +
             file.get_string(kv.key).ok();
    }
    sum += touch(kv.value, 1) + kv.value.to_display(4).size();
  }
  for (const TensorInfo& t : file.tensors()) {
    if (file.find_tensor(t.name) != &t) fail("find_tensor(name) does not return the tensor");
    if (t.n_bytes == 0 || t.file_offset + t.n_bytes > file.size()) fail("tensor bytes outside the file");
    sum += t.bytes().front() + t.bytes().back() + t.shape_string().size() + t.row_bytes();
  }
  return sum;
}

Writer rewrite(const File& file) {
  Writer writer;
  writer.set_version(file.version());
  if (!writer.copy_metadata(file).ok()) fail("copy_metadata");
  if (!writer.copy_tensors(file).ok()) fail("copy_tensors refused a validated tensor");
  return writer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = File::open_bytes(std::span<const uint8_t>(data, size), "fuzz.gguf");
  if (!file.ok()) {
    if (file.error().message().empty()) fail("empty error message");
    return 0;
  }
  volatile uint64_t sink = touch(*file);
  (void)sink;

  auto first = rewrite(*file).to_bytes();
  if (!first.ok()) fail("writer refused a validated file");
  auto reopened = File::open_bytes(*first, "rewritten.gguf");
  if (!reopened.ok()) {
    std::fprintf(stderr, "%s\n", reopened.error().message().c_str());
    fail("re-written file does not validate");
  }
  if (reopened->metadata().size() != file->metadata().size() ||
      reopened->tensors().size() != file->tensors().size()) {
    fail("re-written file has other entries");
  }
  auto second = rewrite(*reopened).to_bytes();
  if (!second.ok() || *second != *first) fail("re-writing is not byte-identical");
  return 0;
}
