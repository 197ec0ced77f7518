# push/delivery/CMakeLists.part.cmake — the delivery side of push (provider.h): the provider adapters as a library
# (cong_push_delivery: FCM HTTP v1, APNs; libcurl's multi interface over HTTP/2, provider credentials signed with
# auth/), and cong-push-send, the operators' one-batch tool. Included from the top-level CMakeLists.txt after
# cong_push, cong_auth and the PkgConfig targets exist.
file(GLOB PUSH_DELIVERY_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.c)
list(FILTER PUSH_DELIVERY_SOURCES EXCLUDE REGEX "/(send_tool|worker_main)\\.c$")
add_library(cong_push_delivery STATIC ${PUSH_DELIVERY_SOURCES})
target_include_directories(cong_push_delivery PUBLIC ${CMAKE_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/include)
target_link_libraries(cong_push_delivery PUBLIC cong_auth cong_common PkgConfig::CURL PkgConfig::JANSSON
  PkgConfig::SSL Threads::Threads)
add_executable(cong-push-send ${CMAKE_CURRENT_LIST_DIR}/send_tool.c)
target_link_libraries(cong-push-send PRIVATE cong_push_delivery)
