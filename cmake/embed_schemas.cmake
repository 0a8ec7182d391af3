# Writes a C++ file that holds every schemas/*.json as a string, so the
# provider binary is self-contained. Invoked at build time with
# -DOUT=<file> -DSCHEMAS="<a.json;b.json>".
set(body "")
foreach(path ${SCHEMAS})
  file(READ ${path} content)
  get_filename_component(name ${path} NAME)
  string(APPEND body "      {\"${name}\", R\"pgha_schema(${content})pgha_schema\"},\n")
endforeach()
file(WRITE ${OUT}.tmp "// Generated from schemas/ by cmake/embed_schemas.cmake. Do not edit.
#include \"schema/schema.h\"

namespace pgha::schema {

const std::vector<std::pair<std::string_view, std::string_view>>& EmbeddedSchemaDocuments() {
  static const auto* docs = new std::vector<std::pair<std::string_view, std::string_view>>{
${body}  };
  return *docs;
}

}  // namespace pgha::schema
")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
