# Turns bpf/*.bpf.c into one linked BPF object and its skeleton header.
#
#   hupwatch_bpf_skeleton(<target> NAME <skel-name> SOURCES <a.bpf.c> ...)
#
# creates an INTERFACE target whose include directory holds <skel-name>.skel.h.
# vmlinux.h comes from HUPWATCH_VMLINUX_H if set, else is dumped with bpftool
# from HUPWATCH_BTF_FILE (default /sys/kernel/btf/vmlinux). Nothing generated
# is committed.

set(HUPWATCH_BTF_FILE "/sys/kernel/btf/vmlinux" CACHE FILEPATH "Kernel BTF that vmlinux.h is generated from")
set(HUPWATCH_VMLINUX_H "" CACHE FILEPATH "A ready vmlinux.h to use instead of generating one")

find_program(BPFTOOL_EXE NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)
find_program(BPF_CLANG_EXE NAMES clang clang-14 REQUIRED)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(HUPWATCH_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(HUPWATCH_BPF_ARCH arm64)
else()
  message(FATAL_ERROR "hupwatch: unsupported architecture ${CMAKE_SYSTEM_PROCESSOR}")
endif()

set(HUPWATCH_BPF_GEN_DIR ${CMAKE_BINARY_DIR}/bpf)
file(MAKE_DIRECTORY ${HUPWATCH_BPF_GEN_DIR})

if(HUPWATCH_VMLINUX_H)
  set(HUPWATCH_VMLINUX ${HUPWATCH_VMLINUX_H})
else()
  set(HUPWATCH_VMLINUX ${HUPWATCH_BPF_GEN_DIR}/vmlinux.h)
  add_custom_command(
    OUTPUT ${HUPWATCH_VMLINUX}
    COMMAND ${BPFTOOL_EXE} btf dump file ${HUPWATCH_BTF_FILE} format c > ${HUPWATCH_VMLINUX}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${HUPWATCH_VMLINUX}.tmp ${HUPWATCH_VMLINUX}
    DEPENDS ${HUPWATCH_BTF_FILE}
    COMMENT "Generating vmlinux.h from ${HUPWATCH_BTF_FILE}"
    VERBATIM)
endif()
# One owning target per generated file: with the Makefile generator a custom
# command's OUTPUT that two targets depend on is built by both, in parallel,
# racing on the same .tmp rename. Skeleton targets depend on this target.
add_custom_target(hupwatch_vmlinux_h DEPENDS ${HUPWATCH_VMLINUX})
get_filename_component(HUPWATCH_VMLINUX_DIR ${HUPWATCH_VMLINUX} DIRECTORY)

function(hupwatch_bpf_skeleton target)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES" ${ARGN})
  set(objects)
  file(GLOB bpf_headers ${CMAKE_SOURCE_DIR}/bpf/*.h)
  foreach(src ${ARG_SOURCES})
    get_filename_component(stem ${src} NAME_WE)
    set(obj ${HUPWATCH_BPF_GEN_DIR}/${stem}.bpf.o)
    add_custom_command(
      OUTPUT ${obj}
      COMMAND ${BPF_CLANG_EXE} -g -O2 -Wall -Werror -target bpf
              -D__TARGET_ARCH_${HUPWATCH_BPF_ARCH}
              -I${HUPWATCH_VMLINUX_DIR} -I${CMAKE_SOURCE_DIR}/bpf
              -c ${CMAKE_SOURCE_DIR}/${src} -o ${obj}
      DEPENDS ${CMAKE_SOURCE_DIR}/${src} ${bpf_headers} ${HUPWATCH_VMLINUX}
      COMMENT "BPF ${src}"
      VERBATIM)
    list(APPEND objects ${obj})
  endforeach()
  set(linked ${HUPWATCH_BPF_GEN_DIR}/${ARG_NAME}.bpf.o)
  set(skel ${HUPWATCH_BPF_GEN_DIR}/${ARG_NAME}.skel.h)
  add_custom_command(
    OUTPUT ${linked} ${skel}
    COMMAND ${BPFTOOL_EXE} gen object ${linked} ${objects}
    COMMAND ${BPFTOOL_EXE} gen skeleton ${linked} name ${ARG_NAME} > ${skel}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${skel}.tmp ${skel}
    DEPENDS ${objects}
    COMMENT "Linking BPF object and skeleton ${ARG_NAME}"
    VERBATIM)
  add_custom_target(${target}_gen DEPENDS ${linked} ${skel})
  add_dependencies(${target}_gen hupwatch_vmlinux_h)
  add_library(${target} INTERFACE)
  add_dependencies(${target} ${target}_gen)
  target_include_directories(${target} INTERFACE ${HUPWATCH_BPF_GEN_DIR} ${CMAKE_SOURCE_DIR}/bpf)
  set_property(TARGET ${target} PROPERTY HUPWATCH_BPF_OBJECT ${linked})
endfunction()
