# Project-wide warning set; TERN_WERROR turns them into errors (CI does).
add_library(tern_warnings INTERFACE)
target_compile_options(tern_warnings INTERFACE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
if(TERN_WERROR)
  target_compile_options(tern_warnings INTERFACE -Werror)
endif()
