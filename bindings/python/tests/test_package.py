"""The bindings as a package: the version pyproject.toml declares is the
project's, the library is looked up the documented way (from a source tree
its own build first, never a system copy; installed, the recorded libdir,
ctypes.util, pkg-config, PCFMCP_LIBRARY last), and the public API of the
common cases carries type hints."""

import inspect
import os
import re
import unittest
from unittest import mock

import support
import pcfmcp
from pcfmcp import _lib


def candidates(**env):
    with mock.patch.dict(os.environ, env, clear=False):
        if "PCFMCP_LIBRARY" not in env:
            os.environ.pop("PCFMCP_LIBRARY", None)
        return list(_lib._candidates())


class VersionTest(unittest.TestCase):
    def test_pyproject_version_is_the_projects(self):
        with open(os.path.join(support.SRCDIR, "configure.ac")) as fh:
            ac = re.search(r"^AC_INIT\(\[pcf-mcp\],\s*\[([^\]]+)\]", fh.read(), re.M).group(1)
        with open(os.path.join(support.PYDIR, "pyproject.toml")) as fh:
            py = re.search(r'^version = "([^"]+)"', fh.read(), re.M).group(1)
        self.assertEqual(py, ac)
        self.assertEqual(pcfmcp.__version__, ac)


class LookupTest(unittest.TestCase):
    def test_imported_from_the_source_tree(self):
        self.assertEqual(_lib.source_tree(), os.path.normpath(support.SRCDIR))
        # make check points PCFMCP_LIBRARY at the build tree's library.
        self.assertEqual(os.path.realpath(pcfmcp.library_path),
                         os.path.realpath(os.environ["PCFMCP_LIBRARY"]))

    def test_source_tree_build_comes_before_any_system_copy(self):
        system = "/usr/lib/x86_64-linux-gnu/libpcfmcp.so.0"
        with mock.patch("ctypes.util.find_library", return_value=system), \
                mock.patch.object(_lib, "pkg_config_libdir", return_value="/usr/lib"):
            got = candidates(PCFMCP_LIBRARY="/build/.libs/libpcfmcp.so.0")
        self.assertEqual(got[0], "/build/.libs/libpcfmcp.so.0")
        top = _lib.source_tree()
        self.assertEqual(got[1:3], [os.path.join(top, ".libs", _lib.SONAME),
                                    os.path.join(top, "build", ".libs", _lib.SONAME)])
        self.assertLess(got.index(os.path.join(top, ".libs", _lib.SONAME)), got.index(system))

    def test_installed_order_is_recorded_loader_pkgconfig_then_variable(self):
        with mock.patch.object(_lib, "source_tree", return_value=None), \
                mock.patch.object(_lib, "installed_libdir", return_value="/opt/p/lib"), \
                mock.patch("ctypes.util.find_library", return_value="libpcfmcp.so.0"), \
                mock.patch.object(_lib, "pkg_config_libdir", return_value="/usr/lib"):
            got = candidates(PCFMCP_LIBRARY="/x/libpcfmcp.so.0")
        self.assertEqual(got, ["/opt/p/lib/libpcfmcp.so.0", "libpcfmcp.so.0",
                               "/usr/lib/libpcfmcp.so.0", "/x/libpcfmcp.so.0"])
        # Nothing installed next to the package, no ldconfig entry, no .pc:
        # only the variable is left, and without it a clear error.
        with mock.patch.object(_lib, "source_tree", return_value=None), \
                mock.patch.object(_lib, "installed_libdir", return_value=None), \
                mock.patch("ctypes.util.find_library", return_value=None), \
                mock.patch.object(_lib, "pkg_config_libdir", return_value=None):
            self.assertEqual(candidates(PCFMCP_LIBRARY="/x/l.so"), ["/x/l.so"])
            self.assertEqual(candidates(), [])
            with mock.patch.dict(os.environ, {}, clear=False):
                os.environ.pop("PCFMCP_LIBRARY", None)
                with self.assertRaises(ImportError) as e:
                    _lib._load()
            self.assertIn("PKG_CONFIG_PATH", str(e.exception))
            self.assertIn("PCFMCP_LIBRARY", str(e.exception))

    def test_no_fallback_below_an_installed_package(self):
        # The old fallback guessed $libdir/.libs three levels above the
        # installed package; an installed package must not guess.
        with mock.patch.object(_lib, "source_tree", return_value=None), \
                mock.patch.object(_lib, "installed_libdir", return_value=None), \
                mock.patch("ctypes.util.find_library", return_value=None), \
                mock.patch.object(_lib, "pkg_config_libdir", return_value=None):
            self.assertFalse([c for c in candidates() if ".libs" in c])


class TypedApiTest(unittest.TestCase):
    def test_common_calls_are_annotated_and_documented(self):
        for fn in (pcfmcp.Engine.__init__, pcfmcp.Engine.add_tool, pcfmcp.Engine.tool,
                   pcfmcp.Engine.answer, pcfmcp.Engine.call_tool, pcfmcp.serve_stdio,
                   pcfmcp.Server.__init__, pcfmcp.Server.run, pcfmcp.Config.load_env,
                   pcfmcp.args.get_string):
            sig = inspect.signature(fn)
            unannotated = [p for p in sig.parameters.values()
                           if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
                           and p.annotation is inspect.Parameter.empty]
            self.assertEqual(unannotated, [], fn.__qualname__)
            self.assertIsNot(sig.return_annotation, inspect.Signature.empty, fn.__qualname__)
            self.assertTrue(inspect.getdoc(fn), fn.__qualname__)
        self.assertTrue(os.path.isfile(os.path.join(os.path.dirname(pcfmcp.__file__), "py.typed")))


if __name__ == "__main__":
    unittest.main()
