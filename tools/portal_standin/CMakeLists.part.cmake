# tools/portal_standin/CMakeLists.part.cmake — the stand-in National Public Service Portal (portal-standin), for
# `make run` and the tests of cong-portal-sync. Included from the top-level CMakeLists.txt after the PkgConfig/Threads
# targets and cong::h2o exist.
include(${CMAKE_CURRENT_LIST_DIR}/../standin_common/CMakeLists.part.cmake) # standin_common
file(GLOB PORTAL_STANDIN_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.c)
add_executable(portal-standin ${PORTAL_STANDIN_SOURCES})
target_link_libraries(portal-standin PRIVATE standin_common cong::h2o PkgConfig::UV PkgConfig::SSL PkgConfig::JANSSON
  Threads::Threads)
