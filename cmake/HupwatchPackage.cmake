# Install rules and the Debian package (CPack DEB; scripts/package.sh).
#
#   /usr/sbin/hupwatch                              the binary
#   /lib/systemd/system/hupwatch.service            the unit, ExecStart = that binary
#   /usr/lib/systemd/catalog/hupwatch.catalog       journal message catalog
#   /usr/share/man/man8/hupwatch.8.gz               generated: scripts/manpage.sh
#   /usr/share/hupwatch/                            deploy/: rules, tests, dashboard, examples
#   /usr/share/doc/hupwatch/{README.md,docs/,copyright,changelog.gz}
include(GNUInstallDirs)

pkg_get_variable(HUPWATCH_SYSTEMD_UNIT_DIR systemd systemdsystemunitdir)
if(NOT HUPWATCH_SYSTEMD_UNIT_DIR)
  set(HUPWATCH_SYSTEMD_UNIT_DIR /lib/systemd/system)
endif()
set(HUPWATCH_CATALOG_DIR /usr/lib/systemd/catalog)
set(HUPWATCH_DOC_DIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/hupwatch)
set(HUPWATCH_PKG_GEN ${CMAKE_BINARY_DIR}/package)
file(MAKE_DIRECTORY ${HUPWATCH_PKG_GEN})

# The package holds the binary and its generated docs only: installing
# (and cpack, whose "preinstall" step is the install's dependency) need not
# build everything else first, the tests and benchmarks. scripts/package.sh
# builds the two targets the install rules name.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
install(TARGETS hupwatch RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})

# One unit file: deploy/systemd/hupwatch.service names /usr/sbin/hupwatch.
# The install writes the binary's real path in, decided at install time:
# cpack installs with prefix /usr, `cmake --install` with the configured one.
install(CODE "
  file(READ \"${CMAKE_SOURCE_DIR}/deploy/systemd/hupwatch.service\" unit)
  string(REPLACE \"/usr/sbin/hupwatch\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SBINDIR}/hupwatch\" unit \"\${unit}\")
  set(dest \"\$ENV{DESTDIR}${HUPWATCH_SYSTEMD_UNIT_DIR}/hupwatch.service\")
  message(STATUS \"Installing: \${dest}\")
  file(WRITE \"\${dest}\" \"\${unit}\")
  list(APPEND CMAKE_INSTALL_MANIFEST_FILES \"\${dest}\")
")
install(FILES ${CMAKE_SOURCE_DIR}/deploy/journald/hupwatch.catalog DESTINATION ${HUPWATCH_CATALOG_DIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/deploy/grafana ${CMAKE_SOURCE_DIR}/deploy/prometheus
  DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/hupwatch)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/packaging/debian/copyright
  DESTINATION ${HUPWATCH_DOC_DIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION ${HUPWATCH_DOC_DIR}/docs)

# Generated at build time: the man page (from the binary's --help and
# docs/cli.md) and the compressed Debian changelog. gzip -n: no timestamp.
find_program(HUPWATCH_HELP2MAN help2man)
set(HUPWATCH_MAN ${HUPWATCH_PKG_GEN}/hupwatch.8)
# A native package (no Debian revision): changelog.gz, not changelog.Debian.gz.
set(HUPWATCH_CHANGELOG ${HUPWATCH_PKG_GEN}/changelog.gz)
add_custom_command(OUTPUT ${HUPWATCH_MAN}.gz
  COMMAND ${CMAKE_SOURCE_DIR}/scripts/manpage.sh $<TARGET_FILE:hupwatch> ${CMAKE_SOURCE_DIR} ${HUPWATCH_MAN}
  COMMAND gzip -9nf ${HUPWATCH_MAN}
  DEPENDS hupwatch ${CMAKE_SOURCE_DIR}/scripts/manpage.sh ${CMAKE_SOURCE_DIR}/docs/cli.md
  COMMENT "Man page hupwatch(8)" VERBATIM)
add_custom_command(OUTPUT ${HUPWATCH_CHANGELOG}
  COMMAND gzip -9nc ${CMAKE_SOURCE_DIR}/packaging/debian/changelog > ${HUPWATCH_CHANGELOG}
  DEPENDS ${CMAKE_SOURCE_DIR}/packaging/debian/changelog VERBATIM)
if(HUPWATCH_HELP2MAN)
  add_custom_target(hupwatch_package_docs ALL DEPENDS ${HUPWATCH_MAN}.gz ${HUPWATCH_CHANGELOG})
  install(FILES ${HUPWATCH_MAN}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
  install(FILES ${HUPWATCH_CHANGELOG} DESTINATION ${HUPWATCH_DOC_DIR})
else()
  message(STATUS "hupwatch: no help2man, no man page (scripts/install-deps.sh installs it)")
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME hupwatch)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_CONTACT "hupwatch developers <hupwatch@users.noreply.github.com>")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # hupwatch_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)   # Depends from dpkg-shlibdeps
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
set(CPACK_STRIP_FILES ON)
# CPack indents the extended lines itself.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "who killed my job? eBPF monitor of SSH disconnects
hupwatch watches process lifecycles with eBPF tracepoints and tells which
background jobs an SSH disconnect, a logout or a signal killed or
orphaned, and why; which running jobs are at risk; and what happened at any
past moment, from its own event store. It runs as a hardened systemd
service with Prometheus metrics, journald entries and JSON lines.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_SOURCE_DIR}/packaging/debian/postinst
  ${CMAKE_SOURCE_DIR}/packaging/debian/prerm
  ${CMAKE_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_OUTPUT_FILE_PREFIX ${CMAKE_BINARY_DIR})
include(CPack)
