# push/relay/CMakeLists.part.cmake — cong-push-relay, the push_outbox → Redis streams relay (push/relay/relay.h). Its
# own process: blocking libpq (through the relays' runtime, common/relay_runtime/) and hiredis. Included from the
# top-level CMakeLists.txt after cong_push, cong_relay_runtime and the PkgConfig targets exist.
file(GLOB PUSH_RELAY_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.c)
add_executable(cong-push-relay ${PUSH_RELAY_SOURCES})
target_link_libraries(cong-push-relay PRIVATE cong_push cong_relay_runtime PkgConfig::HIREDIS PkgConfig::JANSSON)
