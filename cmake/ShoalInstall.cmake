# `cmake --install`: the daemons, the CLI, the libraries, their headers, a versioned CMake
# package (find_package(Shoal 0.2) -> Shoal::client, Shoal::worker, Shoal::task_plugin),
# pkg-config files, the systemd units and the seed task library. Components split it into
# the Debian packages (cmake/ShoalPackaging.cmake): libs, common, broker, worker, cli, dev.
# Shared libraries only: a static build (-DSHOAL_SHARED_LIBS=OFF) has no install rules.
include(CMakePackageConfigHelpers)

set(SHOAL_CMAKE_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Shoal)
set(SHOAL_PLUGIN_DIR ${CMAKE_INSTALL_LIBDIR}/shoal)
set(SHOAL_SYSTEMD_DIR lib/systemd/system CACHE STRING
    "Where the systemd units go, under the prefix (the packages: /usr/lib/systemd/system)")

# Installed programs and libraries find the libraries beside them, wherever the prefix is.
set_target_properties(shoal-broker shoal-worker shoal PROPERTIES
  INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
set_target_properties(${SHOAL_LIBRARIES} PROPERTIES INSTALL_RPATH "$ORIGIN")

install(TARGETS ${SHOAL_LIBRARIES} shoal_task_plugin shoal_msgpack
  EXPORT ShoalTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT libs NAMELINK_COMPONENT dev
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS shoal-broker RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT broker)
install(TARGETS shoal-worker RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT worker)
install(TARGETS shoal RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT cli)
# The seed tasks, for a first cluster: shoal-worker --tasks <libdir>/shoal/libshoal_seed_tasks_plugin.so
if(TARGET shoal_seed_tasks_plugin)
  set_target_properties(shoal_seed_tasks_plugin PROPERTIES INSTALL_RPATH "$ORIGIN/..")
  install(TARGETS shoal_seed_tasks_plugin LIBRARY DESTINATION ${SHOAL_PLUGIN_DIR} COMPONENT worker)
endif()

foreach(component common proto client worker broker)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${component}/include/
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
          FILES_MATCHING PATTERN "*.hpp")
endforeach()
install(FILES ${PROJECT_BINARY_DIR}/common/generated/include/shoal/common/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/shoal/common COMPONENT dev)

# The CMake package.
install(EXPORT ShoalTargets NAMESPACE Shoal:: DESTINATION ${SHOAL_CMAKE_PACKAGE_DIR}
        FILE ShoalTargets.cmake COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ShoalConfig.cmake.in
  ${PROJECT_BINARY_DIR}/package/ShoalConfig.cmake
  INSTALL_DESTINATION ${SHOAL_CMAKE_PACKAGE_DIR}
  PATH_VARS SHOAL_PLUGIN_DIR)
# 0.x: a minor release may break the API, so find_package(Shoal 0.2) takes 0.2.* only.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/package/ShoalConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/package/ShoalConfig.cmake
              ${PROJECT_BINARY_DIR}/package/ShoalConfigVersion.cmake
        DESTINATION ${SHOAL_CMAKE_PACKAGE_DIR} COMPONENT dev)

# pkg-config, for builds without CMake: pkg-config --cflags --libs shoal-client
foreach(pc shoal-client shoal-worker)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/${pc}.pc.in ${PROJECT_BINARY_DIR}/package/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/package/${pc}.pc
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
endforeach()

# systemd units and the shoal system user (deploy/systemd).
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/shoal-broker.service
        DESTINATION ${SHOAL_SYSTEMD_DIR} COMPONENT broker)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/shoal-worker@.service
        DESTINATION ${SHOAL_SYSTEMD_DIR} COMPONENT worker)
# The `shoal` system user both daemons run as, in its own component (two packages may not
# hold the same file).
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/shoal.sysusers
        DESTINATION lib/sysusers.d RENAME shoal.conf COMPONENT common)

if(SHOAL_PACKAGING)
  include(${PROJECT_SOURCE_DIR}/cmake/ShoalPackaging.cmake)
endif()
