# Writes a C++ file holding every file under templates/ as a string, keyed by
# its path relative to templates/. Invoked at build time with
# -DOUT=<file> -DBASE=<templates dir> -DFILES="<a;b>".
set(body "")
foreach(path ${FILES})
  file(READ ${path} content)
  file(RELATIVE_PATH name ${BASE} ${path})
  string(APPEND body "      {\"${name}\", R\"pgha_template(${content})pgha_template\"},\n")
endforeach()
file(WRITE ${OUT}.tmp "// Generated from templates/ by cmake/embed_templates.cmake. Do not edit.
#include <map>

#include \"base/strings.h\"
#include \"cloudinit/yaml_template.h\"

namespace pgha::cloudinit {

absl::StatusOr<std::string_view> EmbeddedTemplate(std::string_view path) {
  static const auto* files = new std::map<std::string_view, std::string_view, std::less<>>{
${body}  };
  auto it = files->find(path);
  if (it == files->end()) return absl::NotFoundError(pgha::StrCat(\"no template \", path));
  return it->second;
}

}  // namespace pgha::cloudinit
")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
