# Installs the systemd unit, sysusers.d and tmpfiles.d snippets and the credentials example.
# Included from the top-level CMakeLists.txt after GNUInstallDirs.
#
# The folders come from pkg-config's systemd module, taken relative to the prefix (so
# `cmake --install build --prefix /tmp/inst` stays inside /tmp/inst, and the default
# /usr/local lands in /usr/local/lib/systemd/system, which systemd reads too); without that
# module, lib/systemd/system, lib/sysusers.d and lib/tmpfiles.d under the prefix.
# -DCEREMONYD_SYSTEMD_UNIT_DIR=/lib/systemd/system etc. override them.

function(ceremonyd_systemd_dir result variable fallback)
  set(dir "${fallback}")
  find_program(PKG_CONFIG_PROGRAM NAMES pkg-config pkgconf)
  if(PKG_CONFIG_PROGRAM)
    # "@P@" stands for the prefix; a folder outside it (a distribution's hard-wired one)
    # is kept as it is.
    execute_process(
      COMMAND ${PKG_CONFIG_PROGRAM} --define-variable=prefix=@P@ --define-variable=root_prefix=@P@
              --variable=${variable} systemd
      OUTPUT_VARIABLE found OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE failed ERROR_QUIET)
    if(NOT failed AND found MATCHES "^@P@/(.+)$")
      set(dir "${CMAKE_MATCH_1}")
    elseif(NOT failed AND IS_ABSOLUTE "${found}")
      set(dir "${found}")
    endif()
  endif()
  set(${result} "${dir}" PARENT_SCOPE)
endfunction()

ceremonyd_systemd_dir(unit_dir systemdsystemunitdir lib/systemd/system)
ceremonyd_systemd_dir(sysusers_dir sysusersdir lib/sysusers.d)
ceremonyd_systemd_dir(tmpfiles_dir tmpfilesdir lib/tmpfiles.d)
set(CEREMONYD_SYSTEMD_UNIT_DIR "${unit_dir}" CACHE PATH "where ceremonyd.service goes")
set(CEREMONYD_SYSUSERS_DIR "${sysusers_dir}" CACHE PATH "where the sysusers.d snippet goes")
set(CEREMONYD_TMPFILES_DIR "${tmpfiles_dir}" CACHE PATH "where the tmpfiles.d snippet goes")

# The unit names /usr/local/bin/ceremonyd and /usr/local/share/doc/ceremonyd; at install
# time those become the real ones for the prefix given then (cmake --install --prefix).
set(unit_source "${CMAKE_CURRENT_LIST_DIR}/ceremonyd.service")
set(unit_built "${CMAKE_BINARY_DIR}/systemd/ceremonyd.service")
if(IS_ABSOLUTE "${CEREMONYD_SYSTEMD_UNIT_DIR}")
  set(unit_destination "${CEREMONYD_SYSTEMD_UNIT_DIR}")
else()
  set(unit_destination "\${CMAKE_INSTALL_PREFIX}/${CEREMONYD_SYSTEMD_UNIT_DIR}")
endif()
install(CODE "
  file(READ \"${unit_source}\" unit)
  string(REPLACE \"/usr/local/bin/\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/\"
         unit \"\${unit}\")
  string(REPLACE \"/usr/local/share/doc/ceremonyd\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DOCDIR}\"
         unit \"\${unit}\")
  file(WRITE \"${unit_built}\" \"\${unit}\")
  file(INSTALL DESTINATION \"${unit_destination}\" TYPE FILE
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ FILES \"${unit_built}\")
")

install(FILES ${CMAKE_CURRENT_LIST_DIR}/ceremonyd.sysusers
        DESTINATION ${CEREMONYD_SYSUSERS_DIR} RENAME ceremonyd.conf)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/ceremonyd.tmpfiles
        DESTINATION ${CEREMONYD_TMPFILES_DIR} RENAME ceremonyd.conf)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/credentials.example ${CMAKE_CURRENT_LIST_DIR}/README.md
              ${CMAKE_CURRENT_LIST_DIR}/capture.conf ${CMAKE_CURRENT_LIST_DIR}/network.conf.example
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/systemd)
