# Each library exports only its own headers. A directory in the build tree
# holds one symlink, named like the library's include prefix ("core"), to
# the library's sources, and only that directory is on the library's public
# include path. So `#include "io/socket.h"` compiles in a target only if it
# links tern_io: a dependency that crosses a layer the wrong way fails to
# build instead of creeping in. cmake/check_layers.py checks the same rules
# (and the system headers proto and core may not use) as a test.
function(tern_export_headers target prefix source_dir)
  set(root ${CMAKE_BINARY_DIR}/include/${target})
  file(MAKE_DIRECTORY ${root})
  if(NOT EXISTS ${root}/${prefix})
    file(CREATE_LINK ${source_dir} ${root}/${prefix} SYMBOLIC)
  endif()
  target_include_directories(${target} PUBLIC ${root})
endfunction()
