// The one test binary: doctest's main. Suites are registered per module in meson.build.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
