# Builds web/ with npm and Vite into the build folder, then embeds the files
# (cmake/embed_ui.cmake) as RELAYMOCK_UI_SOURCE. npm ci runs again only when
# the lockfile changes; Vite only when a source file does.
find_program(RELAYMOCK_NPM npm)
find_program(RELAYMOCK_NODE node)
if(NOT RELAYMOCK_NPM OR NOT RELAYMOCK_NODE)
  message(FATAL_ERROR "The web UI needs Node.js and npm (Debian: apt-get install nodejs npm), "
                      "or configure with -DRELAYMOCK_WEB_UI=OFF to build without it.")
endif()
set(web_src ${CMAKE_SOURCE_DIR}/web)
set(web_out ${CMAKE_BINARY_DIR}/web)
file(GLOB_RECURSE web_inputs CONFIGURE_DEPENDS ${web_src}/src/* ${web_src}/public/*)
list(APPEND web_inputs ${web_src}/index.html ${web_src}/vite.config.ts ${web_src}/tsconfig.json)
add_custom_command(
  OUTPUT ${web_out}/npm-ci.stamp
  COMMAND ${RELAYMOCK_NPM} ci --no-audit --no-fund --loglevel=error
  COMMAND ${CMAKE_COMMAND} -E make_directory ${web_out}
  COMMAND ${CMAKE_COMMAND} -E touch ${web_out}/npm-ci.stamp
  DEPENDS ${web_src}/package.json ${web_src}/package-lock.json
  WORKING_DIRECTORY ${web_src}
  COMMENT "web: npm ci"
  VERBATIM)
add_custom_command(
  OUTPUT ${web_out}/dist.stamp
  COMMAND ${RELAYMOCK_NPM} run --silent build -- --outDir ${web_out}/dist --emptyOutDir
  COMMAND ${CMAKE_COMMAND} -E touch ${web_out}/dist.stamp
  DEPENDS ${web_out}/npm-ci.stamp ${web_inputs}
  WORKING_DIRECTORY ${web_src}
  COMMENT "web: vite build"
  VERBATIM)
add_custom_command(
  OUTPUT ${web_out}/ui_assets.cpp
  COMMAND ${CMAKE_COMMAND} -DDIST=${web_out}/dist -DGZIP_DIR=${web_out}/gz -DOUT=${web_out}/ui_assets.cpp
          -P ${CMAKE_SOURCE_DIR}/cmake/embed_ui.cmake
  DEPENDS ${web_out}/dist.stamp ${CMAKE_SOURCE_DIR}/cmake/embed_ui.cmake
  COMMENT "web: embedding the UI"
  VERBATIM)
set(RELAYMOCK_UI_SOURCE ${web_out}/ui_assets.cpp)
set(RELAYMOCK_WEB_OUT ${web_out})
