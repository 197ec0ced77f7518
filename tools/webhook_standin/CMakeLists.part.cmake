# tools/webhook_standin/CMakeLists.part.cmake — the stand-in webhook receiver (webhook-standin), for the tests of cong's
# webhook delivery (issue 18). Included from the top-level CMakeLists.txt after push/webhook (cong_webhook, the
# Standard Webhooks signatures it verifies with) and the PkgConfig/Threads targets and cong::h2o exist. Its rules
# (behaviour.c) and its memory (record.c), pure functions over jansson, are a library of their own for tests/unit.
include(${CMAKE_CURRENT_LIST_DIR}/../standin_common/CMakeLists.part.cmake) # standin_common
add_library(webhook_standin_rules STATIC ${CMAKE_CURRENT_LIST_DIR}/behaviour.c ${CMAKE_CURRENT_LIST_DIR}/record.c)
target_include_directories(webhook_standin_rules PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(webhook_standin_rules PUBLIC cong_webhook PkgConfig::JANSSON)
file(GLOB WEBHOOK_STANDIN_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.c)
list(REMOVE_ITEM WEBHOOK_STANDIN_SOURCES ${CMAKE_CURRENT_LIST_DIR}/behaviour.c ${CMAKE_CURRENT_LIST_DIR}/record.c)
add_executable(webhook-standin ${WEBHOOK_STANDIN_SOURCES})
target_link_libraries(webhook-standin PRIVATE webhook_standin_rules standin_common cong::h2o PkgConfig::UV PkgConfig::SSL
  PkgConfig::JANSSON Threads::Threads)
