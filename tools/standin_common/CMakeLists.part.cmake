# tools/standin_common/CMakeLists.part.cmake — standin_common, the h2o server boilerplate and reply helpers shared by
# the stand-ins (standin_request.h: query, clock, errors, routes; standin_auth.h: secret files, bearer check;
# standin_hold.h: held requests; standin_args.h: numeric options).
# Included from the stand-ins' CMakeLists.part.cmake (whichever comes first).
if(NOT TARGET standin_common)
  # the growable string (standin_buf.h) and the form decoder (standin_form.h): no h2o, so the stand-ins'
  # unit-tested libraries link them alone
  add_library(standin_text STATIC ${CMAKE_CURRENT_LIST_DIR}/standin_buf.c ${CMAKE_CURRENT_LIST_DIR}/standin_form.c)
  target_include_directories(standin_text PUBLIC ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(standin_text PUBLIC cong_common)
  add_library(standin_common STATIC ${CMAKE_CURRENT_LIST_DIR}/standin_server.c ${CMAKE_CURRENT_LIST_DIR}/standin_tls.c
    ${CMAKE_CURRENT_LIST_DIR}/standin_request.c ${CMAKE_CURRENT_LIST_DIR}/standin_auth.c
    ${CMAKE_CURRENT_LIST_DIR}/standin_hold.c ${CMAKE_CURRENT_LIST_DIR}/standin_args.c)
  target_include_directories(standin_common PUBLIC ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(standin_common PUBLIC standin_text cong_source_tree cong::h2o PkgConfig::UV PkgConfig::SSL
    PkgConfig::JANSSON Threads::Threads)
endif()
