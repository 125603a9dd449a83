# What makes the build faster without changing what it builds or checks.

# lld links the programs, with their debug info, several times faster than GNU ld (Debian
# package lld, deps/packages.txt); without it, GNU ld.
include(CheckLinkerFlag)
check_linker_flag(CXX -fuse-ld=lld CEREMONYD_HAVE_LLD)
if(CEREMONYD_HAVE_LLD)
  add_link_options(-fuse-ld=lld)
endif()

# With precompiled headers ccache caches a compilation only when told that the header's
# macros and __TIME__ may be taken as they are (ccache's manual, «Precompiled headers»).
foreach(lang C CXX)
  if(CMAKE_${lang}_COMPILER_LAUNCHER MATCHES "ccache$")
    set(CMAKE_${lang}_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env
        CCACHE_SLOPPINESS=pch_defines,time_macros ${CMAKE_${lang}_COMPILER_LAUNCHER})
  endif()
endforeach()

# Precompiled headers: the heavy library headers are parsed once per target instead of once
# per source file, in the targets whose sources nearly all include them (elsewhere loading a
# precompiled header, ~190 MB, costs more than it saves: ceremony_core's and ceremony_media's
# sources include little, and ceremony_io's time is in HttpServer.cpp, so they have none).
# Each set holds only what its targets may include (ARCHITECTURE.md «Folders and what each
# may touch»): ceremony_app's has no libcurl or Beast. -DCEREMONYD_PCH=OFF builds without them
# (every source still includes what it uses itself).
option(CEREMONYD_PCH "Precompile the heavy library headers" ON)

set(CEREMONY_PCH_STD <chrono> <filesystem> <functional> <map> <memory> <optional> <string>
  <string_view> <vector>)
# ceremony_app (and the programs on it): the loop's timers, JSON and the log.
set(CEREMONY_PCH_APP ${CEREMONY_PCH_STD} <nlohmann/json.hpp> <boost/asio/io_context.hpp>
  <boost/asio/steady_timer.hpp> <spdlog/spdlog.h>)
# unit_tests, media_unit_tests: GoogleTest.
set(CEREMONY_PCH_UNIT ${CEREMONY_PCH_STD} <gtest/gtest.h>)
# integration_tests: GoogleTest, JSON, libcurl and the peers' Beast.
set(CEREMONY_PCH_INTEGRATION ${CEREMONY_PCH_UNIT} <thread> <nlohmann/json.hpp> <curl/curl.h>
  <boost/asio.hpp> <boost/beast/core.hpp> <boost/beast/http.hpp>)

# ceremony_pch(<target> <set>): <set> is one of the lists above, by name.
function(ceremony_pch target set)
  if(CEREMONYD_PCH)
    target_precompile_headers(${target} PRIVATE ${${set}})
  endif()
endfunction()

# ceremony_pch_reuse(<target> <from>): <from>'s, precompiled once for both. The two must be
# built with the same flags and definitions: CMake adds -Winvalid-pch, an error here.
function(ceremony_pch_reuse target from)
  if(CEREMONYD_PCH)
    target_precompile_headers(${target} REUSE_FROM ${from})
  endif()
endfunction()

# ceremony_test_code(<target>): a test program's own code (assertions, fixtures, peers)
# compiled at -Og instead of -O2 in RelWithDebInfo: the code under test, in the libraries and
# the programs the tests run, keeps -O2; GoogleTest's macros at -O2 cost a third more to
# compile and gain nothing. -Og keeps the flow analysis behind -Wmaybe-uninitialized.
function(ceremony_test_code target)
  target_compile_options(${target} PRIVATE $<$<CONFIG:RelWithDebInfo>:-Og>)
endfunction()
