# What every Shoal library shares: its SONAME, its export name (Shoal::client in an installed
# package), and, shared, no semantic interposition (calls inside a library stay direct and
# inlinable: -fPIC alone would route them through the PLT).
set(SHOAL_LIBRARIES shoal_common shoal_http shoal_proto shoal_client shoal_worker shoal_broker)
foreach(lib IN LISTS SHOAL_LIBRARIES)
  string(REPLACE "shoal_" "" export_name ${lib})
  set_target_properties(${lib} PROPERTIES
    VERSION ${PROJECT_VERSION}
    # While Shoal is 0.x a minor release may change the ABI: the SONAME carries the minor.
    SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}
    EXPORT_NAME ${export_name})
  if(BUILD_SHARED_LIBS)
    target_compile_options(${lib} PRIVATE -fno-semantic-interposition)
    # Calls between a library's own files bind inside it at link time, not through the PLT.
    target_link_options(${lib} PRIVATE -Wl,-Bsymbolic-functions)
  endif()
endforeach()
set_target_properties(shoal_task_plugin PROPERTIES EXPORT_NAME task_plugin)
set_target_properties(shoal_msgpack PROPERTIES EXPORT_NAME msgpack)
