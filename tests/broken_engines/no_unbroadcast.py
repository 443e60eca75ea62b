"""No unbroadcast: the rules of + - * / hand a broadcast input the gradient of the output's shape, not the sum down to its own."""


def break_engine(engine):
    engine.unbroadcast = lambda g, shape: g
