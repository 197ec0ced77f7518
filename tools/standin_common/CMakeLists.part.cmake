# tools/standin_common/CMakeLists.part.cmake — standin_common, the h2o server boilerplate and reply helpers shared by
# vneid-standin and portal-standin. Included from the stand-ins' CMakeLists.part.cmake (whichever comes first).
if(NOT TARGET standin_common)
  add_library(standin_common STATIC ${CMAKE_CURRENT_LIST_DIR}/standin_server.c)
  target_include_directories(standin_common PUBLIC ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(standin_common PUBLIC cong_source_tree cong::h2o PkgConfig::UV PkgConfig::SSL PkgConfig::JANSSON
    Threads::Threads)
endif()
