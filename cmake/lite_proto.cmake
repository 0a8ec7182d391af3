# Copies a .proto to OUT with `option optimize_for = LITE_RUNTIME;` added
# (see proto/CMakeLists.txt). Invoked as cmake -DIN=<proto> -DOUT=<copy> -P.
file(READ ${IN} content)
file(WRITE ${OUT} "${content}\n// Added by cmake/lite_proto.cmake: pgha uses protobuf's lite runtime.\noption optimize_for = LITE_RUNTIME;\n")
