# modules/procedures/portal_sync/CMakeLists.part.cmake — cong-portal-sync, the relay of the procedures' outboxes
# (portal_outbox → the National Public Service Portal, push_outbox → Redis streams). Its own process: blocking libpq,
# libcurl and hiredis. Included from the top-level CMakeLists.txt after cong_push and the PkgConfig targets exist.
file(GLOB PORTAL_SYNC_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.c)
add_executable(cong-portal-sync ${PORTAL_SYNC_SOURCES})
target_link_libraries(cong-portal-sync PRIVATE cong_push cong_module_api PkgConfig::PQ PkgConfig::CURL PkgConfig::HIREDIS
  PkgConfig::JANSSON)
