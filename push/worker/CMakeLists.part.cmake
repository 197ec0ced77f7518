# push/worker/CMakeLists.part.cmake — cong-push-worker, the delivery worker of push/pipeline.h (push/worker/worker.h):
# event streams → live logs and devices through the provider adapters. Its own process: blocking hiredis and libpq
# (through the relays' runtime, common/relay_runtime/). Included from the top-level CMakeLists.txt after cong_push,
# cong_push_delivery, cong_relay_runtime and the PkgConfig targets exist.
file(GLOB PUSH_WORKER_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.c)
add_executable(cong-push-worker ${PUSH_WORKER_SOURCES})
target_link_libraries(cong-push-worker PRIVATE cong_push cong_push_delivery cong_relay_runtime PkgConfig::HIREDIS
  PkgConfig::JANSSON PkgConfig::MSGPACK PkgConfig::SSL)
