# tools/fcm_standin/CMakeLists.part.cmake — the stand-in Firebase Cloud Messaging server (fcm-standin), for `make run`
# and the tests of cong's push delivery. Included from the top-level CMakeLists.txt after cong_auth, the
# PkgConfig/Threads targets and cong::h2o exist. What it checks (the assertion, the message, the token form) is a
# library of its own, for tests/unit/tools and tests/fuzz.
include(${CMAKE_CURRENT_LIST_DIR}/../standin_common/CMakeLists.part.cmake) # standin_common
set(FCM_STANDIN_RULES ${CMAKE_CURRENT_LIST_DIR}/account.c ${CMAKE_CURRENT_LIST_DIR}/assertion.c
  ${CMAKE_CURRENT_LIST_DIR}/message.c ${CMAKE_CURRENT_LIST_DIR}/grant_form.c)
add_library(fcm_standin_rules STATIC ${FCM_STANDIN_RULES})
target_include_directories(fcm_standin_rules PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(fcm_standin_rules PUBLIC standin_text cong_auth PkgConfig::SSL PkgConfig::JANSSON)
file(GLOB FCM_STANDIN_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.c)
list(REMOVE_ITEM FCM_STANDIN_SOURCES ${FCM_STANDIN_RULES})
add_executable(fcm-standin ${FCM_STANDIN_SOURCES})
target_link_libraries(fcm-standin PRIVATE fcm_standin_rules standin_common cong::h2o PkgConfig::UV PkgConfig::SSL
  PkgConfig::JANSSON Threads::Threads)
