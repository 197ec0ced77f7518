# tools/vneid_standin/CMakeLists.part.cmake — the stand-in VNeID OpenID provider (vneid-standin), for `make run` and
# the tests. Included from the top-level CMakeLists.txt after cong_auth and the PkgConfig/Threads targets exist.
include(${CMAKE_CURRENT_LIST_DIR}/../standin_common/CMakeLists.part.cmake) # standin_common
file(GLOB VNEID_STANDIN_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.c)
add_executable(vneid-standin ${VNEID_STANDIN_SOURCES})
target_link_libraries(vneid-standin PRIVATE standin_common cong_auth cong::h2o PkgConfig::UV PkgConfig::SSL
  PkgConfig::JANSSON Threads::Threads)
