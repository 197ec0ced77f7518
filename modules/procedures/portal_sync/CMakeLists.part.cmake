# modules/procedures/portal_sync/CMakeLists.part.cmake — cong-portal-sync, the relay of the procedures' portal outbox
# (portal_outbox → the National Public Service Portal). Its own process: blocking libpq and libcurl. Like a module it
# sees include/ alone (cong_module_api). Included from the top-level CMakeLists.txt after the PkgConfig targets exist.
file(GLOB PORTAL_SYNC_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.c)
add_executable(cong-portal-sync ${PORTAL_SYNC_SOURCES})
target_link_libraries(cong-portal-sync PRIVATE cong_module_api PkgConfig::PQ PkgConfig::CURL)
