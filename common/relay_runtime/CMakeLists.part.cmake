# common/relay_runtime/CMakeLists.part.cmake — cong_relay_runtime, the blocking runtime of the out-of-process relays
# (relay_runtime.h). Its own library, apart from cong_common: the gateway never links it. Its users see include/ and
# this folder only (not the source root), so a module's own program keeps the module wall. Included from the top-level
# CMakeLists.txt after the PkgConfig targets exist.
file(GLOB RELAY_RUNTIME_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.c)
add_library(cong_relay_runtime STATIC ${RELAY_RUNTIME_SOURCES})
target_include_directories(cong_relay_runtime PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(cong_relay_runtime PUBLIC cong_module_api PkgConfig::PQ PkgConfig::HIREDIS)
