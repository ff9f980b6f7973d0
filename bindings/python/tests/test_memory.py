"""Ownership: loops over every kind of object and call show that neither the
process's memory nor the callback registry grows, and that objects nobody
closed are freed by the garbage collector."""

import gc
import os
import unittest
import weakref

import support
import pcfmcp
from pcfmcp import _handle

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE


def engine_round():
    with pcfmcp.Engine("mem", "1") as e:
        e.add_tool(lambda c, a: {"x": "y" * 1000}, name="big", description="x")
        e.add_tool(lambda c, a: 1 / 0, name="bad", description="x")
        e.add_resource(lambda c, u, v: "r" * 1000, {"uri": "mem://r", "name": "r"})
        e.add_prompt(lambda c, a: "p", {"name": "p"})
        e.add_completion(lambda c, a, v, x: ["a"], "ref/prompt", "p")
        e.set_hooks(lambda *a: None, lambda *a: None)
        with e.session() as s:
            s.initialize()
            s.set_notify(lambda m: None)
            s.request("tools/call", {"name": "big", "arguments": {}})
            s.request("tools/call", {"name": "bad", "arguments": {}})
            s.request("resources/read", {"uri": "mem://r"})
            s.request("prompts/get", {"name": "p"})
            s.handle("{broken")
            e.tools()
            e.capabilities()


def misc_round():
    with pcfmcp.Config() as c:
        c["pcf.token"] = "44444444-2222-4333-8444-555555555555"
        c.dump()
        c.copy().close()
        list(pcfmcp.config_keys())
    with pcfmcp.Logger() as lg:
        lg.set_sink(lambda level, line: None)
        lg.add_secret("abcdefgh")
        lg.info("abcdefgh " * 50)
        lg.redact("Authorization: Bearer abcdefgh")
    pcfmcp.hash_key(pcfmcp.generate_key())
    pcfmcp.known_tools()


class OwnershipTest(unittest.TestCase):
    def steady(self, fn, rounds, slack):
        fn()  # warm-up: caches, lazily created objects, allocator arenas
        gc.collect()
        keys, live, before = len(_handle.callbacks), len(_handle._live), rss()
        for _ in range(rounds):
            fn()
        gc.collect()
        self.assertEqual(len(_handle.callbacks), keys)
        self.assertEqual(len(_handle._live), live)
        if os.environ.get("PCFMCP_TEST_SANITIZERS"):
            # ASan quarantines freed memory, so RSS grows by design; there
            # the sanitizer itself watches for use after free instead.
            return
        growth = rss() - before
        self.assertLess(growth, slack, "RSS grew by %d bytes over %d rounds" % (growth, rounds))

    def test_engine_sessions_and_handlers_do_not_leak(self):
        self.steady(engine_round, 300, 4 << 20)

    def test_config_logger_auth_do_not_leak(self):
        self.steady(misc_round, 300, 4 << 20)

    def test_pcf_results_are_freed(self):
        with support.fake() as f, pcfmcp.Pcf(f.base, token=support.TOKEN) as pcf:
            project = pcf.projects_list()["projects"][0]["id"]

            def calls():
                pcf.hosts_list(project)
                try:
                    pcf.hosts_list("00000000-0000-4000-8000-000000000000")
                except pcfmcp.PcfError:
                    pass
                try:
                    pcf.hosts_list("bad id")
                except pcfmcp.PcfError:
                    pass

            self.steady(calls, 20, 4 << 20)

    def test_unclosed_objects_are_freed_by_the_collector(self):
        gc.collect()
        keys = len(_handle.callbacks)
        e = pcfmcp.Engine("gc", "1")
        e.add_tool(lambda c, a: "x", name="t", description="x")
        s = e.session()
        lg = pcfmcp.Logger()
        lg.set_sink(lambda level, line: None)
        refs = [weakref.ref(o) for o in (e, s, lg)]
        self.assertGreater(len(_handle.callbacks), keys)
        del e, s, lg
        gc.collect()
        self.assertEqual([r() for r in refs], [None, None, None])
        self.assertEqual(len(_handle.callbacks), keys)


if __name__ == "__main__":
    unittest.main()
