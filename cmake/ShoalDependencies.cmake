# Debian 12 packages, installed by scripts/install-deps.sh. CONFIG mode where the package
# ships a usable CMake config; pkg-config where it does not (hiredis, cpp-httplib).
find_package(Threads REQUIRED)
find_package(cppzmq CONFIG REQUIRED)          # brings libzmq
find_package(spdlog CONFIG REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(PkgConfig REQUIRED)

# msgpack-cxx is header-only; its CMake config drags in Boost, so we take the headers only.
find_path(SHOAL_MSGPACK_INCLUDE msgpack.hpp REQUIRED)
add_library(shoal_msgpack INTERFACE)
target_include_directories(shoal_msgpack SYSTEM INTERFACE ${SHOAL_MSGPACK_INCLUDE})
target_compile_definitions(shoal_msgpack INTERFACE MSGPACK_NO_BOOST)

if(SHOAL_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
if(SHOAL_BUILD_BENCH)
  find_package(benchmark CONFIG REQUIRED)
endif()
find_package(CLI11 CONFIG REQUIRED)
find_package(tomlplusplus CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)  # the client's JSON <-> msgpack (shoal CLI)
# The broker's /metrics: prometheus-cpp writes the text format (its core only); the HTTP side
# is cpp-httplib, which Debian ships compiled (libcpp-httplib.so, found by pkg-config, whose
# flags the header must be read with).
find_package(prometheus-cpp CONFIG REQUIRED)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)

# hiredis 0.14 ships no usable CMake target: pkg-config's imported target instead. Includes
# are written <hiredis/hiredis.h>, so the parent of pkg-config's include dir is what we need.
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
add_library(shoal_hiredis INTERFACE)
target_link_libraries(shoal_hiredis INTERFACE PkgConfig::HIREDIS)
