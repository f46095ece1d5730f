# One sanitizer for the whole build, so every library and test agrees on the ABI.
if(TERN_SANITIZE)
  add_compile_options(-fsanitize=${TERN_SANITIZE} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${TERN_SANITIZE})
endif()
