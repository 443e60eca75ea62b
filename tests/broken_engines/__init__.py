"""Three classic autograd bugs, each kept as a broken copy of exp.autograd: `recursive`, `assigned`, `no_unbroadcast`.

`broken_engine(name)` loads a fresh copy of exp.autograd (its own `Tensor` class and functions, so the real engine is
untouched) and lets the module `name` in this folder break it. tests/test_autograd.py runs its checks against each one and
requires that they fail: a test suite that passes on a broken engine proves nothing.
"""
import importlib, importlib.util

import exp.autograd

NAMES = ('recursive', 'assigned', 'no_unbroadcast')


def broken_engine(name):
    "A fresh copy of exp.autograd with the bug of `tests/broken_engines/<name>.py` put in."
    spec = importlib.util.spec_from_file_location(f'exp._broken_{name}', exp.autograd.__file__)
    engine = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(engine)
    importlib.import_module(f'broken_engines.{name}').break_engine(engine)
    return engine
