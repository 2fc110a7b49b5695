#include "tokenizer/unicode.h"

#include <array>
#include <memory>

#include <utf8proc.h>

namespace occam::tokenizer::unicode {
namespace {

// llama.cpp's unicode_set_whitespace (Python's \s over all code points at table generation time).
bool is_whitespace_cpt(uint32_t cpt) {
  switch (cpt) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return cpt >= 0x2000 && cpt <= 0x200A;
  }
}

uint16_t category_flag(uint32_t cpt) {
  // utf8proc ships Unicode 15.0; llama.cpp's table is Unicode 15.1, which only added these.
  if (cpt >= 0x2EBF0 && cpt <= 0x2EE5D) return kLetter;                   // CJK Extension I (Lo)
  if ((cpt >= 0x2FFC && cpt <= 0x2FFF) || cpt == 0x31EF) return kSymbol;  // IDS characters (So)
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cpt))) {
    case UTF8PROC_CATEGORY_CN:
      return kUndefined;
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
      return kLetter;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
      return kAccentMark;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return kNumber;
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
      return kPunctuation;
    case UTF8PROC_CATEGORY_SM:
    case UTF8PROC_CATEGORY_SC:
    case UTF8PROC_CATEGORY_SK:
    case UTF8PROC_CATEGORY_SO:
      return kSymbol;
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
      return kSeparator;
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
      return kControl;
    default:
      return kUndefined;
  }
}

uint16_t compute_flags(uint32_t cpt) {
  uint16_t f = category_flag(cpt);
  if (is_whitespace_cpt(cpt)) f |= kWhitespace;
  return f;
}

uint32_t compute_nfd_first(uint32_t cpt) {
  // Surrogates and unassigned code points have no decomposition (utf8proc rejects surrogates).
  if (cpt >= 0xD800 && cpt <= 0xDFFF) return cpt;
  utf8proc_int32_t buffer[8];
  int last_boundclass = 0;
  utf8proc_ssize_t n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cpt), buffer, 8,
                                               UTF8PROC_DECOMPOSE, &last_boundclass);
  if (n <= 0) return cpt;
  return static_cast<uint32_t>(buffer[0]);
}

uint32_t compute_lower(uint32_t cpt) {
  if (cpt >= 0xD800 && cpt <= 0xDFFF) return cpt;
  return static_cast<uint32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cpt)));
}

struct BmpTables {
  std::array<uint16_t, 0x10000> flags;
  std::array<uint16_t, 0x10000> lower;
  std::array<uint16_t, 0x10000> nfd;
  BmpTables() {
    for (uint32_t c = 0; c < 0x10000; ++c) {
      flags[c] = compute_flags(c);
      lower[c] = static_cast<uint16_t>(compute_lower(c));    // BMP case pairs stay in the BMP
      nfd[c] = static_cast<uint16_t>(compute_nfd_first(c));  // canonical decompositions too
    }
  }
};

const BmpTables& bmp() {
  static const std::unique_ptr<BmpTables> tables = std::make_unique<BmpTables>();
  return *tables;
}

struct ByteAlphabet {
  std::array<uint32_t, 256> to_cpt{};
  std::array<int16_t, 324> from_cpt{};  // code points of the alphabet are < 0x144
  ByteAlphabet() {
    from_cpt.fill(-1);
    auto printable = [](int b) {
      return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
    };
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      to_cpt[b] = printable(b) ? static_cast<uint32_t>(b) : static_cast<uint32_t>(256 + n++);
      from_cpt[to_cpt[b]] = static_cast<int16_t>(b);
    }
  }
};

const ByteAlphabet& byte_alphabet() {
  static const ByteAlphabet alphabet;
  return alphabet;
}

}  // namespace

uint16_t flags(uint32_t cpt) {
  if (cpt < 0x10000) return bmp().flags[cpt];
  if (cpt > kMaxCodepoint) return kUndefined;
  return compute_flags(cpt);
}

uint32_t to_lower(uint32_t cpt) {
  if (cpt < 0x10000) return bmp().lower[cpt];
  if (cpt > kMaxCodepoint) return cpt;
  return compute_lower(cpt);
}

uint32_t nfd_first(uint32_t cpt) {
  if (cpt < 0x10000) return bmp().nfd[cpt];
  if (cpt > kMaxCodepoint) return cpt;
  return compute_nfd_first(cpt);
}

uint32_t decode_utf8(std::string_view text, size_t& pos) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  const uint8_t c0 = s[pos];
  if (c0 < 0x80) {
    pos += 1;
    return c0;
  }
  auto cont = [&](size_t i) { return pos + i < n && (s[pos + i] & 0xC0) == 0x80; };
  uint32_t cpt = kReplacement;
  size_t len = 0;
  if ((c0 & 0x40) == 0) {
    len = 0;  // stray continuation byte
  } else if ((c0 & 0x20) == 0) {
    if (cont(1)) {
      cpt = ((c0 & 0x1Fu) << 6) | (s[pos + 1] & 0x3Fu);
      len = 2;
    }
  } else if ((c0 & 0x10) == 0) {
    if (cont(1) && cont(2)) {
      cpt = ((c0 & 0x0Fu) << 12) | ((s[pos + 1] & 0x3Fu) << 6) | (s[pos + 2] & 0x3Fu);
      len = 3;
    }
  } else if ((c0 & 0x08) == 0) {
    if (cont(1) && cont(2) && cont(3)) {
      cpt = ((c0 & 0x07u) << 18) | ((s[pos + 1] & 0x3Fu) << 12) | ((s[pos + 2] & 0x3Fu) << 6) |
            (s[pos + 3] & 0x3Fu);
      len = cpt <= kMaxCodepoint ? 4 : 0;
    }
  }
  if (len == 0) {
    pos += 1;
    return kReplacement;
  }
  pos += len;
  return cpt;
}

void decode_utf8(std::string_view text, std::vector<uint32_t>& out) {
  out.clear();
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    out.push_back(decode_utf8(text, pos));
  }
}

void append_utf8(std::string& out, uint32_t cpt) {
  if (cpt <= 0x7F) {
    out.push_back(static_cast<char>(cpt));
  } else if (cpt <= 0x7FF) {
    out.push_back(static_cast<char>(0xC0 | (cpt >> 6)));
    out.push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
  } else if (cpt <= 0xFFFF) {
    out.push_back(static_cast<char>(0xE0 | (cpt >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cpt >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | ((cpt >> 18) & 0x07)));
    out.push_back(static_cast<char>(0x80 | ((cpt >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cpt >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
  }
}

std::string to_utf8(uint32_t cpt) {
  std::string out;
  append_utf8(out, cpt);
  return out;
}

bool is_valid_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const uint8_t c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cpt;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cpt = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cpt = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cpt = c & 0x07;
    } else
      return false;
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cpt = (cpt << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 3 && cpt < 0x800) || (len == 4 && (cpt < 0x10000 || cpt > kMaxCodepoint)) ||
        (cpt >= 0xD800 && cpt <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

uint32_t byte_to_codepoint(uint8_t byte) {
  return byte_alphabet().to_cpt[byte];
}

int codepoint_to_byte(uint32_t cpt) {
  if (cpt >= byte_alphabet().from_cpt.size()) return -1;
  return byte_alphabet().from_cpt[cpt];
}

bool is_chinese_char(uint32_t cpt) {
  return (cpt >= 0x04E00 && cpt <= 0x09FFF) || (cpt >= 0x03400 && cpt <= 0x04DBF) ||
         (cpt >= 0x20000 && cpt <= 0x2A6DF) || (cpt >= 0x2A700 && cpt <= 0x2B73F) ||
         (cpt >= 0x2B740 && cpt <= 0x2B81F) || (cpt >= 0x2B920 && cpt <= 0x2CEAF) ||
         (cpt >= 0x0F900 && cpt <= 0x0FAFF) || (cpt >= 0x2F800 && cpt <= 0x2FA1F);
}

}  // namespace occam::tokenizer::unicode
