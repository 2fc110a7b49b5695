# Project-wide flags and the three helpers every component uses:
#   occam_component(NAME DEPS <components> LIBS <third-party targets>)   in src/<name>/CMakeLists.txt
#   occam_component_tests(NAME [LIBS ...])                                in tests/<name>/CMakeLists.txt
#   benchmarks (bench/*.cpp) and fuzz targets (fuzz/*.cpp) are picked up by their folders' CMakeLists.

# AVX2 + FMA + F16C is the baseline (x86-64-v3); wider SIMD (AVX-512, VNNI) is chosen at run time
# by Highway's dynamic dispatch in src/kernels, so one binary runs on every AVX2 machine.
set(OCCAM_ARCH_FLAGS -march=x86-64-v3 -mtune=generic)
# GCC 12 false positives: -Wrestrict on std::string concatenation at -O3 (GCC bug 105329), and
# -Wmismatched-new-delete on Boost.Asio awaitable frames, which pair their own operator new/delete
# (coroutine frames with a class-specific allocator; seen with -fsanitize=address).
set(OCCAM_WARNING_FLAGS -Wall -Wextra -Werror
    $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict> $<$<CXX_COMPILER_ID:GNU>:-Wno-mismatched-new-delete>)
set(OCCAM_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)

add_library(occam_flags INTERFACE)
target_compile_options(occam_flags INTERFACE ${OCCAM_ARCH_FLAGS} ${OCCAM_WARNING_FLAGS})
target_include_directories(occam_flags INTERFACE ${CMAKE_SOURCE_DIR}/src)
target_compile_definitions(occam_flags INTERFACE OCCAM_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
if(OCCAM_SANITIZE)
  target_compile_options(occam_flags INTERFACE ${OCCAM_SANITIZER_FLAGS})
  target_link_options(occam_flags INTERFACE -fsanitize=address,undefined)
  target_compile_definitions(occam_flags INTERFACE OCCAM_SANITIZE=1)
endif()
if(OCCAM_FUZZ)
  # Libraries get coverage instrumentation; only the fuzz executables link libFuzzer's main.
  target_compile_options(occam_flags INTERFACE -fsanitize=fuzzer-no-link,address,undefined
                         -fno-omit-frame-pointer)
  target_link_options(occam_flags INTERFACE -fsanitize=address,undefined)
  target_compile_definitions(occam_flags INTERFACE OCCAM_FUZZING=1)
endif()

# The sanitizer build is -O0 (CMakePresets.json; it compiles 2.5x faster than -O1, which keeps CI under 30
# minutes); the numeric components keep -O1 so that their tests (logits, thousands of decoded tokens, large
# vocabularies, training) still run in seconds.
set(OCCAM_SANITIZE_O1_COMPONENTS kernels engine tokenizer ml)

set_property(GLOBAL PROPERTY OCCAM_COMPONENTS "")

# A component is a static library of every .cpp under src/<name>/ (recursively). It is linked
# whole-archive so that self-registering extensions (architectures, backends, policies, ...) are
# never dropped by the linker.
function(occam_component name)
  cmake_parse_arguments(ARG "" "" "DEPS;LIBS;EXCLUDE" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  foreach(pattern IN LISTS ARG_EXCLUDE)
    list(FILTER sources EXCLUDE REGEX "${pattern}")
  endforeach()
  add_library(occam_${name} STATIC ${sources})
  target_link_libraries(occam_${name} PUBLIC occam_flags)
  if(OCCAM_SANITIZE AND name IN_LIST OCCAM_SANITIZE_O1_COMPONENTS)
    target_compile_options(occam_${name} PRIVATE -O1)
  endif()
  foreach(dep IN LISTS ARG_DEPS)
    target_link_libraries(occam_${name} PUBLIC occam::${dep})
  endforeach()
  if(ARG_LIBS)
    target_link_libraries(occam_${name} PUBLIC ${ARG_LIBS})
  endif()
  add_library(occam::${name} INTERFACE IMPORTED GLOBAL)
  set_target_properties(occam::${name} PROPERTIES INTERFACE_LINK_LIBRARIES
                        "$<LINK_LIBRARY:WHOLE_ARCHIVE,occam_${name}>")
  set_property(GLOBAL APPEND PROPERTY OCCAM_COMPONENTS occam::${name})

  # Each public header must compile on its own (the component's face is small and self-contained).
  # Checked once, in the release build; the sanitizer and fuzz builds skip it to save CI time.
  if(NOT OCCAM_HEADER_CHECKS)
    return()
  endif()
  file(GLOB headers CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.h)
  set(checks "")
  foreach(header IN LISTS headers)
    get_filename_component(stem ${header} NAME_WE)
    set(check ${CMAKE_CURRENT_BINARY_DIR}/header_check/${stem}.cpp)
    file(CONFIGURE OUTPUT ${check} CONTENT "#include \"${header}\"\n")
    list(APPEND checks ${check})
  endforeach()
  if(checks)
    add_library(occam_${name}_header_check OBJECT ${checks})
    target_link_libraries(occam_${name}_header_check PRIVATE occam_${name})
  endif()
endfunction()

# All tests of a component are one GoogleTest executable; ctest lists every case.
function(occam_component_tests name)
  cmake_parse_arguments(ARG "" "" "LIBS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(NOT sources)  # a tests/<name>/ whose first test file is not written yet
    return()
  endif()
  add_executable(occam_${name}_tests ${sources})
  target_link_libraries(occam_${name}_tests PRIVATE occam::${name} occam_test_support GTest::gtest_main
                        GTest::gmock ${ARG_LIBS})
  gtest_discover_tests(occam_${name}_tests DISCOVERY_TIMEOUT 60
                       PROPERTIES LABELS ${name} ENVIRONMENT "OCCAM_SHARED=${OCCAM_SHARED_DIR}")
endfunction()

# Where tests find ../shared (models, references, datasets).
if(DEFINED ENV{OCCAM_SHARED})
  set(OCCAM_SHARED_DIR $ENV{OCCAM_SHARED})
else()
  get_filename_component(OCCAM_SHARED_DIR ${CMAKE_SOURCE_DIR}/../shared ABSOLUTE)
endif()
