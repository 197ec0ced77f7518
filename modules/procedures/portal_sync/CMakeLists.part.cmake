# modules/procedures/portal_sync/CMakeLists.part.cmake — cong-portal-sync, the relay of the procedures' portal outbox
# (portal_outbox → the National Public Service Portal). Its own process: blocking libpq (through the relays' runtime,
# cong_relay_runtime) and libcurl. Like a module it sees include/ alone (cong_module_api), plus the runtime's folder: a
# module's own program may include relay_runtime.h (tests/house/layering.py). Included from the top-level
# CMakeLists.txt after cong_relay_runtime and the PkgConfig targets exist.
file(GLOB PORTAL_SYNC_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.c)
add_executable(cong-portal-sync ${PORTAL_SYNC_SOURCES})
target_link_libraries(cong-portal-sync PRIVATE cong_module_api cong_relay_runtime PkgConfig::CURL)
