# One folder, one library: a stage of the pipeline (docs/architecture.md).
#
#   hupwatch_stage(<name> [PUBLIC <targets...>] [PRIVATE <targets...>])
#
# builds hupwatch_<name> from every .cpp in the calling folder's <name>/
# subfolder. Only that folder is on the library's include path; a stage sees
# another stage's headers only by linking it, so an include against the flow
# (say verdict/ including ingest/ or exporters/) fails to compile. Link
# PUBLIC what the stage's own headers include, PRIVATE what only its sources
# use.
function(hupwatch_stage name)
  cmake_parse_arguments(ARG "" "" "PUBLIC;PRIVATE" ${ARGN})
  set(dir ${CMAKE_CURRENT_SOURCE_DIR}/${name})
  file(GLOB sources CONFIGURE_DEPENDS ${dir}/*.cpp)
  set(target hupwatch_${name})
  if(sources)
    add_library(${target} STATIC ${sources})
    target_include_directories(${target} PUBLIC ${dir})
    target_link_libraries(${target} PUBLIC ${ARG_PUBLIC} PRIVATE ${ARG_PRIVATE})
    target_compile_options(${target} PRIVATE ${HUPWATCH_WARNINGS})
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${dir})
    target_link_libraries(${target} INTERFACE ${ARG_PUBLIC})
  endif()
endfunction()
