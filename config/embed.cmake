# Turns a text file into a C++ source defining ceremony::embeddedDemoConfig().
file(READ ${IN} CONTENT)
file(WRITE ${OUT} "// Generated from ${IN}; do not edit.\n#include <string_view>\nnamespace ceremony {\nstd::string_view embeddedDemoConfig() {\n  return R\"CEREMONY_TOML(${CONTENT})CEREMONY_TOML\";\n}\n}  // namespace ceremony\n")
