# Debian packages, one per install component (cpack -G DEB in the build directory; the
# packaging test, tests/integration/deb_packages_test.sh, builds and inspects them):
#   libshoal0.2    the shared libraries (SONAME libshoal_*.so.0.2)
#   shoal-common   the `shoal` system user (sysusers.d) and /etc/shoal
#   shoal-broker   shoal-broker and its systemd unit
#   shoal-worker   shoal-worker, shoal-worker@.service and the seed task library
#   shoal-cli      the `shoal` command
#   libshoal-dev   headers, the CMake package, pkg-config files
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME shoal)
set(CPACK_PACKAGE_VENDOR "The Shoal developers")
set(CPACK_PACKAGE_CONTACT "Shoal developers <shoal@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Shoal: a distributed task queue in C++20")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# Library dependencies as dpkg-shlibdeps finds them (libzmq5, libhiredis0.14, libstdc++6...);
# our own libraries are the libshoal package's, named below.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS
    ${PROJECT_BINARY_DIR}/common ${PROJECT_BINARY_DIR}/proto ${PROJECT_BINARY_DIR}/client
    ${PROJECT_BINARY_DIR}/worker ${PROJECT_BINARY_DIR}/broker)
set(CPACK_COMPONENTS_ALL libs common broker worker cli dev)

set(shoal_libs "libshoal${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}")
set(shoal_exact "(= ${PROJECT_VERSION})")
set(CPACK_DEBIAN_LIBS_PACKAGE_NAME ${shoal_libs})
set(CPACK_DEBIAN_LIBS_PACKAGE_SECTION libs)
set(CPACK_COMPONENT_LIBS_DESCRIPTION "Shoal's shared libraries: runtime, protocol, client, worker, broker")
set(CPACK_DEBIAN_COMMON_PACKAGE_NAME shoal-common)
set(CPACK_DEBIAN_COMMON_PACKAGE_ARCHITECTURE all)
set(CPACK_COMPONENT_COMMON_DESCRIPTION "What the Shoal daemons share: the shoal system user")
set(CPACK_DEBIAN_COMMON_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/deploy/debian/shoal-common/postinst)
set(CPACK_DEBIAN_BROKER_PACKAGE_NAME shoal-broker)
set(CPACK_DEBIAN_BROKER_PACKAGE_DEPENDS "${shoal_libs} ${shoal_exact}, shoal-common ${shoal_exact}")
set(CPACK_DEBIAN_BROKER_PACKAGE_SUGGESTS "redis-server, shoal-cli")
set(CPACK_COMPONENT_BROKER_DESCRIPTION "The Shoal broker daemon, with its systemd unit")
set(CPACK_DEBIAN_WORKER_PACKAGE_NAME shoal-worker)
set(CPACK_DEBIAN_WORKER_PACKAGE_DEPENDS "${shoal_libs} ${shoal_exact}, shoal-common ${shoal_exact}")
set(CPACK_COMPONENT_WORKER_DESCRIPTION "The Shoal worker daemon (shoal-worker@.service) and the seed task library")
set(CPACK_DEBIAN_CLI_PACKAGE_NAME shoal-cli)
set(CPACK_DEBIAN_CLI_PACKAGE_DEPENDS "${shoal_libs} ${shoal_exact}")
set(CPACK_COMPONENT_CLI_DESCRIPTION "The shoal command: submit tasks, inspect and control a cluster")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libshoal-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "${shoal_libs} ${shoal_exact}, libzmq3-dev, cppzmq-dev, libmsgpack-cxx-dev, libspdlog-dev")
set(CPACK_COMPONENT_DEV_DESCRIPTION "Shoal's headers, CMake package (find_package(Shoal)) and pkg-config files")
include(CPack)
