# push/fanout/CMakeLists.part.cmake — cong-push-fanout, the broadcasts' fan-out (push/fanout/fanout.h, push/pipeline.h).
# Its own process: blocking libpq (through the relays' runtime, common/relay_runtime/) and hiredis, the live-log
# writer of cong_push. Included from the top-level CMakeLists.txt after cong_push, cong_relay_runtime and the PkgConfig
# targets exist.
file(GLOB PUSH_FANOUT_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.c)
add_executable(cong-push-fanout ${PUSH_FANOUT_SOURCES})
target_link_libraries(cong-push-fanout PRIVATE cong_push cong_relay_runtime PkgConfig::HIREDIS PkgConfig::JANSSON)
