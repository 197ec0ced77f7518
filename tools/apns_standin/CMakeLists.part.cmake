# tools/apns_standin/CMakeLists.part.cmake — the stand-in Apple Push Notification service (apns-standin), for
# `make run` and the tests of cong's push delivery. Included from the top-level CMakeLists.txt after the
# PkgConfig/Threads targets and cong::h2o exist. Its checks (apns_check.c, apns_jwt.c: pure functions over what
# arrives from the network) and its memory (store.c) are a library of their own, for tests/unit/tools and tests/fuzz.
include(${CMAKE_CURRENT_LIST_DIR}/../standin_common/CMakeLists.part.cmake) # standin_common
add_library(apns_standin_check STATIC ${CMAKE_CURRENT_LIST_DIR}/apns_check.c ${CMAKE_CURRENT_LIST_DIR}/apns_jwt.c
  ${CMAKE_CURRENT_LIST_DIR}/store.c)
target_include_directories(apns_standin_check PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(apns_standin_check PUBLIC PkgConfig::SSL PkgConfig::JANSSON)
file(GLOB APNS_STANDIN_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.c)
list(REMOVE_ITEM APNS_STANDIN_SOURCES ${CMAKE_CURRENT_LIST_DIR}/apns_check.c ${CMAKE_CURRENT_LIST_DIR}/apns_jwt.c
  ${CMAKE_CURRENT_LIST_DIR}/store.c)
add_executable(apns-standin ${APNS_STANDIN_SOURCES})
target_link_libraries(apns-standin PRIVATE apns_standin_check standin_common cong::h2o PkgConfig::UV PkgConfig::SSL
  PkgConfig::JANSSON Threads::Threads)
