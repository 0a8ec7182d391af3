# Swaps the shared libraries behind imported targets (gRPC, Protobuf,
# Abseil, OpenSSL, re2, c-ares, zlib, upb) for the static archives Debian
# ships beside them. The provider then starts without resolving tens of
# thousands of symbols across ~55 shared objects: that relocation work, not
# our code, dominated start-up.
function(pgha_prefer_static_archives)
  # Call it from the directory whose find_package calls created the targets.
  get_property(targets DIRECTORY PROPERTY IMPORTED_TARGETS)
  foreach(target ${targets})
    get_target_property(type ${target} TYPE)
    if(NOT type STREQUAL "SHARED_LIBRARY" AND NOT type STREQUAL "UNKNOWN_LIBRARY")
      continue()
    endif()
    foreach(config "" _NONE _RELEASE _RELWITHDEBINFO _NOCONFIG)
      get_target_property(location ${target} IMPORTED_LOCATION${config})
      if(NOT location)
        continue()
      endif()
      string(REGEX REPLACE "\\.so(\\.[0-9.]+)?$" ".a" archive "${location}")
      if(NOT archive STREQUAL location AND EXISTS "${archive}")
        set_target_properties(${target} PROPERTIES IMPORTED_LOCATION${config} "${archive}")
        if(type STREQUAL "SHARED_LIBRARY")
          set_target_properties(${target} PROPERTIES IMPORTED_NO_SONAME TRUE)
        endif()
      endif()
    endforeach()
  endforeach()
endfunction()
