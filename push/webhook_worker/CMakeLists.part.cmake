# push/webhook_worker/CMakeLists.part.cmake — cong-webhook-worker (worker.h): organizations' webhook deliveries from
# PostgreSQL leases, sent with libcurl multi. Its own process: blocking libpq through the relays' runtime
# (common/relay_runtime/). Included from the top-level CMakeLists.txt after cong_webhook and cong_relay_runtime exist.
file(GLOB WEBHOOK_WORKER_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.c)
add_executable(cong-webhook-worker ${WEBHOOK_WORKER_SOURCES})
target_link_libraries(cong-webhook-worker PRIVATE cong_webhook cong_relay_runtime cong_common PkgConfig::CURL
  PkgConfig::SSL)
