# cmake/h2o.cmake — the patched, static libh2o that cong links (built by scripts/build-h2o.sh from Debian's h2o
# source package + third_party/h2o-patches/). include() it after find_package(PkgConfig); it defines:
#
#   cong::h2o   IMPORTED STATIC library: ${CONG_H2O_PREFIX}/lib/libh2o.a, its headers, and what it links to
#               (libuv, OpenSSL ssl + crypto, zlib, libyaml, pthread, dl, m).
#
# CONG_H2O_PREFIX (cache path) defaults to ${CMAKE_SOURCE_DIR}/build-h2o/install (build-h2o-fuzz/install when FUZZ).
# The headers are put before the system ones (-isystem, ahead of /usr/include), so a libh2o-dev installed on the
# machine cannot shadow the patched h2o.h: the patched h2o_globalconf_t / h2o_context_t are larger, and compiling
# against the other header would be an ABI mismatch. The patched h2o.h defines H2O_CONG_ABUSE_PATCH; configure fails
# if the prefix holds a header without it.

# A FUZZ=ON build links the instrumented copy that scripts/fuzz.sh builds (clang, -fsanitize=fuzzer-no-link,...), so
# that libFuzzer sees h2o's HTTP/2 code too; every other build links the ordinary one.
if(FUZZ)
  set(_cong_h2o_default "${CMAKE_SOURCE_DIR}/build-h2o-fuzz/install")
else()
  set(_cong_h2o_default "${CMAKE_SOURCE_DIR}/build-h2o/install")
endif()
set(CONG_H2O_PREFIX "${_cong_h2o_default}" CACHE PATH
    "Where scripts/build-h2o.sh installed the patched static libh2o (include/, lib/libh2o.a)")

set(_cong_h2o_lib "${CONG_H2O_PREFIX}/lib/libh2o.a")
set(_cong_h2o_inc "${CONG_H2O_PREFIX}/include")
if(NOT EXISTS "${_cong_h2o_lib}" OR NOT EXISTS "${_cong_h2o_inc}/h2o.h")
  message(FATAL_ERROR
    "cong needs its patched static libh2o, and ${CONG_H2O_PREFIX} has none (no lib/libh2o.a or include/h2o.h).\n"
    "Build it first:  bash scripts/build-h2o.sh   (fetches Debian's h2o source, applies third_party/h2o-patches/,"
    " about a minute on 2 cores; `make deps` runs it), or point -DCONG_H2O_PREFIX=... at an existing build.")
endif()
foreach(_cong_marker H2O_CONG_ABUSE_PATCH H2O_CONG_BODY_LIMIT_PATCH H2O_CONG_HPACK_PATCH H2O_CONG_MIN_RATE_PATCH
                     H2O_CONG_HTTP1_FRAMING_PATCH H2O_CONG_REQ_BODY_STREAM_PATCH)
  file(STRINGS "${_cong_h2o_inc}/h2o.h" _cong_h2o_marker REGEX "^#define ${_cong_marker} ")
  if(NOT _cong_h2o_marker)
    message(FATAL_ERROR
      "${_cong_h2o_inc}/h2o.h is not the patched h2o (no ${_cong_marker}). Rebuild it: bash scripts/build-h2o.sh")
  endif()
endforeach()
# Patch 0008 (the HTTP/1 client keeps no socket pool for cong's proxy) marks its own header.
file(STRINGS "${_cong_h2o_inc}/h2o/http1client.h" _cong_h2o_marker REGEX "^#define H2O_CONG_HTTP1CLIENT_SOCKET_PATCH ")
if(NOT _cong_h2o_marker)
  message(FATAL_ERROR "${_cong_h2o_inc}/h2o/http1client.h is not the patched h2o (no H2O_CONG_HTTP1CLIENT_SOCKET_PATCH)."
    " Rebuild it: bash scripts/build-h2o.sh")
endif()
# Reconfigure when the library is rebuilt (e.g. a patch changed).
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${CONG_H2O_PREFIX}/.stamp")

if(NOT TARGET cong::h2o)
  find_package(PkgConfig REQUIRED)
  find_package(Threads REQUIRED)
  find_package(ZLIB REQUIRED)
  pkg_check_modules(CONG_H2O_UV REQUIRED IMPORTED_TARGET libuv)
  pkg_check_modules(CONG_H2O_SSL REQUIRED IMPORTED_TARGET openssl) # libssl + libcrypto
  pkg_check_modules(CONG_H2O_YAML REQUIRED IMPORTED_TARGET yaml-0.1) # h2o's configurator (Debian links the system one)

  add_library(cong::h2o STATIC IMPORTED GLOBAL)
  set_target_properties(cong::h2o PROPERTIES
    IMPORTED_LOCATION "${_cong_h2o_lib}"
    IMPORTED_LINK_INTERFACE_LANGUAGES C
    INTERFACE_INCLUDE_DIRECTORIES "${_cong_h2o_inc}"
    INTERFACE_LINK_LIBRARIES
      "PkgConfig::CONG_H2O_UV;PkgConfig::CONG_H2O_SSL;ZLIB::ZLIB;PkgConfig::CONG_H2O_YAML;Threads::Threads;${CMAKE_DL_LIBS};m")
endif()
unset(_cong_h2o_lib)
unset(_cong_h2o_inc)
unset(_cong_h2o_default)
unset(_cong_h2o_marker)
