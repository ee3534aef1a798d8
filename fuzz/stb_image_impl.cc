// stb_image compiled into the image harness, so that libFuzzer's coverage and the
// sanitizers see inside the decoder: Debian's libstb.so (what trit links otherwise) is built
// without them. The header is the one trit compiles against (libstb-dev), so the decoder is
// the same code; the executable's definitions take precedence over the shared library's.
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>
