# cmake/install-module-sdk.cmake — `make install` / `cmake --install`: the public module ABI (include/cong/*.h) and
# cong-module.pc, so a partner builds a module out of tree with `pkg-config --cflags cong-module` (examples/).
# The .pc file is written at install time: its prefix is the one the install uses (`cmake --install --prefix DIR`
# overrides CMAKE_INSTALL_PREFIX then), and its version is the ABI's major.minor as the installed header states it.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/cong DESTINATION include FILES_MATCHING PATTERN "*.h")
install(CODE "
  file(STRINGS \"${CMAKE_SOURCE_DIR}/include/cong/module.h\" abi REGEX \"^#define CONG_MODULE_ABI_(MAJOR|MINOR) \")
  string(REGEX REPLACE \".*MAJOR ([0-9]+).*MINOR ([0-9]+).*\" \"\\\\1.\\\\2\" abi_version \"\${abi}\")
  set(prefix \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${CMAKE_SOURCE_DIR}/cmake/cong-module.pc.in\" \"${CMAKE_BINARY_DIR}/cong-module.pc\" @ONLY)
")
install(FILES ${CMAKE_BINARY_DIR}/cong-module.pc DESTINATION lib/pkgconfig)
