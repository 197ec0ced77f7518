# push/webhook/CMakeLists.part.cmake — the delivery side of cong's webhooks (signature.h): the Standard Webhooks
# signatures, sealed secrets and the retry schedule, as a library (cong_webhook) for cong-webhook-worker
# (push/webhook_worker), the stand-in receiver (tools/webhook_standin), tests/unit/push and tests/fuzz. Included from
# the top-level CMakeLists.txt after the PkgConfig targets exist.
file(GLOB WEBHOOK_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.c)
add_library(cong_webhook STATIC ${WEBHOOK_SOURCES})
target_include_directories(cong_webhook PUBLIC ${CMAKE_SOURCE_DIR})
target_link_libraries(cong_webhook PUBLIC PkgConfig::SSL Threads::Threads)
