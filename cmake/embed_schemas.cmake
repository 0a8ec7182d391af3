# Writes a C++ file that holds every schemas/*.json as a string, so the
# provider binary is self-contained, with each document's kind and name read
# here (string(JSON)) so that the provider can list and find schemas without
# parsing any at start-up. Invoked at build time with
# -DOUT=<file> -DSCHEMAS="<a.json;b.json>" [-DCOPY_SUFFIX=_x].
# COPY_SUFFIX (benchmark builds only) embeds every resource and data source a
# second time under NAME<suffix>: a catalogue twice today's size.
set(body "")
foreach(path ${SCHEMAS})
  file(READ ${path} content)
  get_filename_component(file ${path} NAME)
  string(JSON kind ERROR_VARIABLE error GET "${content}" kind)
  if(error)
    message(FATAL_ERROR "${path}: no \"kind\": ${error}")
  endif()
  string(JSON name ERROR_VARIABLE error GET "${content}" name)
  if(error)
    message(FATAL_ERROR "${path}: no \"name\": ${error}")
  endif()
  string(APPEND body "      {\"${file}\", \"${kind}\", \"${name}\", R\"pgha_schema(${content})pgha_schema\"},\n")
  if(COPY_SUFFIX AND (kind STREQUAL "resource" OR kind STREQUAL "data_source"))
    string(JSON copy SET "${content}" name "\"${name}${COPY_SUFFIX}\"")
    string(APPEND body "      {\"${file}\", \"${kind}\", \"${name}${COPY_SUFFIX}\", R\"pgha_schema(${copy})pgha_schema\"},\n")
  endif()
endforeach()
file(WRITE ${OUT}.tmp "// Generated from schemas/ by cmake/embed_schemas.cmake. Do not edit.
#include \"schema/schema.h\"

namespace pgha::schema {

const std::vector<EmbeddedSchema>& EmbeddedSchemas() {
  static const auto* docs = new std::vector<EmbeddedSchema>{
${body}  };
  return *docs;
}

}  // namespace pgha::schema
")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
