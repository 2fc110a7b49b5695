// Small open-addressing hash tables for the tokenizer's hot lookups (token text -> id, merge pair ->
// rank): std::unordered_map allocates a node per entry and hashes strings byte by byte, which costs
// more than the tokenization itself on the benchmark texts.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace occam::tokenizer {

inline uint64_t hash_bytes(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xFF51AFD7ED558CCDull);
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    h = (h ^ v) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
    p += 8;
    n -= 8;
  }
  uint64_t v = 0;
  std::memcpy(&v, p, n);
  h = (h ^ v) * 0x94D049BB133111EBull;
  h ^= h >> 29;
  return h;
}

inline uint64_t hash_u64(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Maps strings (kept by the caller, e.g. the vocabulary's token texts) to int32 values.
class StringIndex {
 public:
  // keys must outlive the index; for duplicate keys the last one wins (llama.cpp's token_to_id[] =).
  void build(const std::vector<std::string>& keys) {
    keys_ = &keys;
    size_t capacity = std::bit_ceil(keys.size() * 2 + 16);
    slots_.assign(capacity, -1);
    mask_ = capacity - 1;
    for (size_t i = 0; i < keys.size(); ++i) insert(static_cast<int32_t>(i));
  }
  // Adds keys[i] (for keys appended after build; the index grows as needed).
  void insert(int32_t i) {
    if ((count_ + 1) * 2 > slots_.size()) rehash();
    const std::string_view key = (*keys_)[static_cast<size_t>(i)];
    for (size_t s = hash_bytes(key) & mask_;; s = (s + 1) & mask_) {
      if (slots_[s] < 0) {
        slots_[s] = i;
        ++count_;
        return;
      }
      if ((*keys_)[static_cast<size_t>(slots_[s])] == key) {
        slots_[s] = i;
        return;
      }
    }
  }
  int32_t find(std::string_view key) const {
    if (slots_.empty()) return -1;
    for (size_t s = hash_bytes(key) & mask_;; s = (s + 1) & mask_) {
      const int32_t v = slots_[s];
      if (v < 0) return -1;
      if ((*keys_)[static_cast<size_t>(v)] == key) return v;
    }
  }

 private:
  void rehash() {
    std::vector<int32_t> old = std::move(slots_);
    slots_.assign(old.size() * 2, -1);
    mask_ = slots_.size() - 1;
    count_ = 0;
    for (int32_t v : old) {
      if (v >= 0) insert(v);
    }
  }
  const std::vector<std::string>* keys_ = nullptr;
  std::vector<int32_t> slots_;
  size_t mask_ = 0;
  size_t count_ = 0;
};

// Maps a pair of int32 ids to two int32 values (BPE: rank and merged symbol). First insert wins.
class PairIndex {
 public:
  struct Entry {
    uint64_t key;
    int32_t rank;
    int32_t result;
  };
  void reserve(size_t n) {
    size_t capacity = std::bit_ceil(n * 2 + 16);
    slots_.assign(capacity, Entry{kEmpty, 0, 0});
    mask_ = capacity - 1;
  }
  bool insert(int32_t a, int32_t b, int32_t rank, int32_t result) {
    const uint64_t key = make_key(a, b);
    for (size_t s = hash_u64(key) & mask_;; s = (s + 1) & mask_) {
      if (slots_[s].key == kEmpty) {
        slots_[s] = Entry{key, rank, result};
        return true;
      }
      if (slots_[s].key == key) return false;
    }
  }
  const Entry* find(int32_t a, int32_t b) const {
    const uint64_t key = make_key(a, b);
    for (size_t s = hash_u64(key) & mask_;; s = (s + 1) & mask_) {
      const Entry& e = slots_[s];
      if (e.key == key) return &e;
      if (e.key == kEmpty) return nullptr;
    }
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static uint64_t make_key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  std::vector<Entry> slots_;
  size_t mask_ = 0;
};

}  // namespace occam::tokenizer
