# tools/upstream_standin/CMakeLists.part.cmake — the stand-in partner upstream (upstream-standin) for the proxy's
# tests. Included from the top-level CMakeLists.txt after the PkgConfig/Threads targets and cong::h2o exist.
include(${CMAKE_CURRENT_LIST_DIR}/../standin_common/CMakeLists.part.cmake) # standin_common
file(GLOB UPSTREAM_STANDIN_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.c)
add_executable(upstream-standin ${UPSTREAM_STANDIN_SOURCES})
target_link_libraries(upstream-standin PRIVATE standin_common cong::h2o PkgConfig::UV PkgConfig::SSL PkgConfig::JANSSON
  Threads::Threads)
