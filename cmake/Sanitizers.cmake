# One sanitizer for the whole build, so every library and test agrees on the ABI.
if(TERN_SANITIZE)
  add_compile_options(-fsanitize=${TERN_SANITIZE} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${TERN_SANITIZE})
  # GCC's flow analysis reports uninitialised reads inside libstdc++ (std::regex,
  # std::function) once the sanitizers instrument it; GCC's own manual warns that
  # -fsanitize makes -Wmaybe-uninitialized unreliable. Under -Werror that would
  # fail the build on library code, so the warning stays on for unsanitized builds.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
endif()
