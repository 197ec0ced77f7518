# tools/payment_standin/CMakeLists.part.cmake — the stand-in VNPay payment gateway (payment-standin), for `make run`
# and the tests of cong's payments. Included from the top-level CMakeLists.txt after the PkgConfig/Threads targets and
# cong::h2o exist. Its signing rules (vnp_sign.c) are a library of their own, for tests/unit/tools.
include(${CMAKE_CURRENT_LIST_DIR}/../standin_common/CMakeLists.part.cmake) # standin_common
add_library(payment_standin_sign STATIC ${CMAKE_CURRENT_LIST_DIR}/vnp_sign.c)
target_include_directories(payment_standin_sign PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(payment_standin_sign PUBLIC standin_text PkgConfig::SSL)
file(GLOB PAYMENT_STANDIN_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.c)
list(REMOVE_ITEM PAYMENT_STANDIN_SOURCES ${CMAKE_CURRENT_LIST_DIR}/vnp_sign.c)
add_executable(payment-standin ${PAYMENT_STANDIN_SOURCES})
target_link_libraries(payment-standin PRIVATE payment_standin_sign standin_common cong::h2o PkgConfig::UV
  PkgConfig::SSL PkgConfig::JANSSON PkgConfig::CURL Threads::Threads)
